"""``providers.http.request`` over real HTTP against the simulator server's fault injection."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from providers.errors import NoReplyError, ProviderBadResponseError, ProviderUnavailableError
from providers.http import MAX_REPLY_BYTES, make_client, request
from providers.sim.server import SimRequest, SimResponse, SimulatorServer


def ok(request: SimRequest) -> SimResponse:
    return SimResponse(body=b'{"status":1}')


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(ok) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(0.5) as made:
        yield made


def test_a_reply_up_to_the_cap_is_read(server: SimulatorServer, client: httpx.Client) -> None:
    server.faults.body = b"x" * MAX_REPLY_BYTES
    assert len(request(client, "GET", f"{server.url}/api")) == MAX_REPLY_BYTES


@pytest.mark.parametrize("size", [MAX_REPLY_BYTES + 1, 10 * 1024 * 1024])
def test_a_reply_over_the_cap_is_refused(
    server: SimulatorServer, client: httpx.Client, size: int
) -> None:
    server.faults.body = b"x" * size
    with pytest.raises(ProviderBadResponseError, match="larger than 5 MB"):
        request(client, "GET", f"{server.url}/api")


def test_rate_limit_carries_retry_after(server: SimulatorServer, client: httpx.Client) -> None:
    server.faults.status = 429
    server.faults.retry_after = 30
    with pytest.raises(ProviderUnavailableError) as caught:
        request(client, "GET", f"{server.url}/api")
    assert caught.value.code == "429"
    assert caught.value.retry_after_s == 30
    assert not isinstance(caught.value, NoReplyError)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_unavailable_with_their_code(
    server: SimulatorServer, client: httpx.Client, status: int
) -> None:
    server.faults.status = status
    with pytest.raises(ProviderUnavailableError) as caught:
        request(client, "GET", f"{server.url}/api")
    assert caught.value.code == str(status)
    assert not isinstance(caught.value, NoReplyError)


def test_no_reply_at_all(server: SimulatorServer, client: httpx.Client) -> None:
    url = f"{server.url}/api"
    server.faults.delay_s = 1.0
    with pytest.raises(NoReplyError, match="in time"):
        request(client, "GET", url)
    server.faults.clear()
    server.faults.refuse = True
    with pytest.raises(NoReplyError):
        request(client, "GET", url)
    server.faults.clear()
    server.stop()
    with pytest.raises(NoReplyError, match="cannot be reached"):
        request(client, "GET", url)
