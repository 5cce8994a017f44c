"""The one fatal-vs-partial policy of a snapshot's requests (``providers.base``).

Requests go through the real ``providers.http.request`` on an ``httpx.MockTransport``, so
each failure is the ``ProviderError`` the adapters really see.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from providers.base import SnapshotParts, ends_snapshot
from providers.errors import (
    NoReplyError,
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    ProviderUnavailableError,
)
from providers.http import request
from providers.model import Endpoint

Reply = httpx.Response | Exception


class Vendor:
    """A host answering each path with its reply (200 "{}" by default), counting requests."""

    def __init__(self, replies: dict[str, Reply] | None = None) -> None:
        self.replies = replies or {}
        self.sent: list[str] = []
        self.client = httpx.Client(transport=httpx.MockTransport(self._answer))

    def _answer(self, req: httpx.Request) -> httpx.Response:
        self.sent.append(req.url.path)
        reply = self.replies.get(req.url.path, httpx.Response(200, content=b"{}"))
        if isinstance(reply, Exception):
            raise reply
        return reply

    def get(self, path: str) -> Callable[[], bytes]:
        return lambda: request(self.client, "GET", f"https://pbx.example{path}")


def _timeout() -> Exception:
    return httpx.ReadTimeout("slow", request=httpx.Request("GET", "https://pbx.example/"))


def _refused() -> Exception:
    return httpx.ConnectError("refused", request=httpx.Request("GET", "https://pbx.example/"))


def _error_of(reply: Reply) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        Vendor({"/x": reply}).get("/x")()
    return caught.value


@pytest.mark.parametrize(
    ("reply", "ends"),
    [
        pytest.param(httpx.Response(429, headers={"Retry-After": "30"}), True, id="429-retry"),
        pytest.param(httpx.Response(429), True, id="429-without-retry-after"),
        pytest.param(_timeout(), True, id="timeout"),
        pytest.param(_refused(), True, id="connection-refused"),
        pytest.param(httpx.Response(500), False, id="http-500"),
        pytest.param(httpx.Response(503), False, id="http-503"),
        pytest.param(httpx.Response(404), False, id="http-404"),
        pytest.param(httpx.Response(401), False, id="http-401-is-the-login-rule"),
    ],
)
def test_which_http_failures_end_a_snapshot(reply: Reply, ends: bool) -> None:
    assert ends_snapshot(_error_of(reply)) is ends


def test_any_retry_after_ends_a_snapshot_whatever_the_status() -> None:
    assert ends_snapshot(ProviderUnavailableError(code="503", retry_after_s=0.0))
    assert not ends_snapshot(ProviderUnavailableError(code="503"))
    assert ends_snapshot(NoReplyError())
    for err in (ProviderBadResponseError(), ProviderRefusedError(), ProviderNotFoundError()):
        assert not ends_snapshot(err)


def _snapshot(vendor: Vendor, parts: SnapshotParts) -> list[object]:
    """A snapshot of three requests, in order."""
    paths = (("/queues", Endpoint.QUEUES), ("/calls", Endpoint.CALLS), ("/agents", Endpoint.AGENTS))
    return [parts.fetch(part, vendor.get(path)) for path, part in paths]


def test_a_rate_limit_stops_the_rest_of_the_poll() -> None:
    vendor = Vendor({"/calls": httpx.Response(429, headers={"Retry-After": "120"})})
    with pytest.raises(ProviderUnavailableError) as caught:
        _snapshot(vendor, SnapshotParts())
    assert caught.value.retry_after_s == 120.0
    assert vendor.sent == ["/queues", "/calls"]


@pytest.mark.parametrize("reply", [_timeout(), _refused()], ids=["timeout", "refused"])
def test_no_reply_at_all_aborts_at_once(reply: Exception) -> None:
    vendor = Vendor({"/queues": reply})
    parts = SnapshotParts()
    with pytest.raises(NoReplyError):
        parts.fetch(Endpoint.QUEUES, vendor.get("/queues"))
    assert vendor.sent == ["/queues"]
    assert parts.failed == set()


def _read_envelope(body: bytes) -> object:
    """A vendor's envelope: ``{"status":0,"error":…}`` is its own refusal, sent with 200."""
    try:
        reply = json.loads(body)
    except ValueError:
        raise ProviderBadResponseError("The reply is not JSON.") from None
    if reply.get("status") == 0:
        raise ProviderRefusedError(f"The vendor says: {reply.get('error')}")
    return reply


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(500),
        httpx.Response(502, content=b"<html>Bad Gateway</html>"),
        httpx.Response(404),
        httpx.Response(200, content=b'{"status":0,"error":"Fronta neexistuje"}'),
        httpx.Response(200, content=b'{"status":1,"resu'),
    ],
    ids=["500", "502", "404", "vendor-error", "truncated"],
)
def test_a_vendor_error_on_one_endpoint_marks_only_its_part_stale(reply: httpx.Response) -> None:
    vendor = Vendor({"/calls": reply})
    calls = vendor.get("/calls")
    parts = SnapshotParts()
    assert parts.fetch(Endpoint.QUEUES, vendor.get("/queues")) == b"{}"
    assert parts.fetch(Endpoint.CALLS, lambda: _read_envelope(calls()), where="Calls") is None
    assert parts.fetch(Endpoint.AGENTS, vendor.get("/agents")) == b"{}"
    assert vendor.sent == ["/queues", "/calls", "/agents"], "the rest is still read"
    assert parts.failed == {Endpoint.CALLS}
    assert len(parts.errors) == 1
    assert parts.messages == [f"Calls: {parts.errors[0]}"]
    parts.raise_if_every_request_failed()
    parts.raise_if_every_part_failed()


def test_a_failure_marks_every_part_its_request_feeds_and_a_refinement_none() -> None:
    vendor = Vendor({"/monitor": httpx.Response(500), "/lines": httpx.Response(500)})
    parts = SnapshotParts()
    parts.fetch((), vendor.get("/lines"))
    parts.fetch((Endpoint.QUEUES, Endpoint.AGENTS), vendor.get("/monitor"))
    assert parts.failed == {Endpoint.QUEUES, Endpoint.AGENTS}
    assert [str(e) for e in parts.errors] == parts.messages
    assert len(parts.messages) == 2, "the refinement's message is kept"


def test_a_refused_login_ends_the_snapshot_unless_the_vendor_says_otherwise() -> None:
    vendor = Vendor({"/queues": httpx.Response(401)})
    with pytest.raises(ProviderAuthError):
        SnapshotParts().fetch(Endpoint.QUEUES, vendor.get("/queues"))
    lenient = SnapshotParts(auth_ends_snapshot=False)
    assert lenient.fetch(Endpoint.QUEUES, vendor.get("/queues")) is None
    assert lenient.failed == {Endpoint.QUEUES}
    with pytest.raises(NoReplyError):
        lenient.fetch(Endpoint.CALLS, Vendor({"/c": _refused()}).get("/c"))


def test_when_every_request_failed_the_first_error_is_raised() -> None:
    vendor = Vendor({"/a": httpx.Response(500), "/b": httpx.Response(404)})
    parts = SnapshotParts()
    parts.fetch((), vendor.get("/a"))
    parts.fetch(Endpoint.CALLS, vendor.get("/b"))
    with pytest.raises(ProviderUnavailableError) as caught:
        parts.raise_if_every_request_failed()
    assert caught.value is parts.errors[0]
    parts.fetch(Endpoint.AGENTS, vendor.get("/ok"))
    parts.raise_if_every_request_failed()  # one answer: a partial snapshot
    SnapshotParts().raise_if_every_request_failed()  # nothing sent, nothing to raise


def test_when_every_part_failed_the_first_error_is_raised() -> None:
    vendor = Vendor({"/q": httpx.Response(503), "/x": httpx.Response(500)})

    def failing(pauses_read: bool) -> SnapshotParts:
        parts = SnapshotParts()
        parts.fetch(Endpoint.QUEUES, vendor.get("/ok"))
        parts.fetch(Endpoint.QUEUES, vendor.get("/q"))  # one of the part's two requests
        if pauses_read:
            parts.fetch(Endpoint.PAUSES, vendor.get("/ok"))
        for endpoint in (Endpoint.AGENTS, Endpoint.CALLS):
            parts.fetch(endpoint, vendor.get("/x"))
        return parts

    read = failing(pauses_read=True)
    read.raise_if_every_part_failed()  # pauses still read
    read.raise_if_every_request_failed()
    read.fetch(Endpoint.PAUSES, vendor.get("/x"))
    with pytest.raises(ProviderUnavailableError) as caught:
        read.raise_if_every_part_failed()
    assert caught.value.code == "503"
    # Pauses kept from an earlier snapshot, not asked for this time: no sign of life.
    with pytest.raises(ProviderUnavailableError):
        failing(pauses_read=False).raise_if_every_part_failed()
