"""The simulator HTTP server: real requests over a socket, fault injection, counting."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator

import httpx
import pytest

from providers.sim.server import SimRequest, SimResponse, SimulatorServer, _Handler, _Server


def echo(request: SimRequest) -> SimResponse:
    body = {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "form": request.form,
        "agent": request.headers.get("user-agent"),
        "cookie": request.headers.get("cookie"),
    }
    return SimResponse(200, json.dumps(body).encode(), headers={"X-Sim": "yes"})


def broken(request: SimRequest) -> SimResponse:
    raise RuntimeError("simulator bug")


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(echo) as running:
        yield running


def test_get_with_query(server: SimulatorServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.port != 0
    reply = httpx.get(f"{server.url}/api/4.1/X/json?a=1&a=2&b=", headers={"User-Agent": "t"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.headers["x-sim"] == "yes"
    body = reply.json()
    assert body["method"] == "GET"
    assert body["path"] == "/api/4.1/X/json"
    assert body["query"] == {"a": ["1", "2"], "b": [""]}
    assert body["agent"] == "t"


def test_post_form_and_cookie(server: SimulatorServer) -> None:
    reply = httpx.post(
        f"{server.url}/p", data={"user": "novak", "pause": "7"}, headers={"Cookie": "k=v"}
    )
    body = reply.json()
    assert body["method"] == "POST"
    assert body["form"] == {"user": ["novak"], "pause": ["7"]}
    assert body["cookie"] == "k=v"


def test_request_counts_per_path(server: SimulatorServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        for _ in range(3):
            client.get("/a?x=1")
        client.get("/b")
    assert server.request_counts["/a"] == 3
    assert server.request_counts["/b"] == 1
    assert server.total_requests == 4


def test_status_fault_with_retry_after(server: SimulatorServer) -> None:
    server.faults.status = 429
    server.faults.retry_after = 7
    reply = httpx.get(f"{server.url}/x")
    assert reply.status_code == 429
    assert reply.headers["retry-after"] == "7"
    server.faults.clear()
    assert httpx.get(f"{server.url}/x").status_code == 200


def test_html_error_page_fault(server: SimulatorServer) -> None:
    server.faults.status = 500
    reply = httpx.get(f"{server.url}/x")
    assert reply.status_code == 500
    assert reply.text.startswith("<html>")


def test_body_override_fault(server: SimulatorServer) -> None:
    server.faults.body = b'{"status":1,"result":{"1":{"id'
    reply = httpx.get(f"{server.url}/x")
    assert reply.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.content)


def test_refuse_fault_closes_without_reply(server: SimulatorServer) -> None:
    server.faults.refuse = True
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/x")
    server.faults.refuse = False
    assert httpx.get(f"{server.url}/x").status_code == 200


def test_delay_fault_still_answers(server: SimulatorServer) -> None:
    server.faults.delay_s = 0.05
    assert httpx.get(f"{server.url}/x").status_code == 200


def test_faults_only_on_matching_paths(server: SimulatorServer) -> None:
    server.faults.status = 503
    server.faults.paths = ("RTUsersState",)
    assert httpx.get(f"{server.url}/api/4.1/RTUsersState/json").status_code == 503
    assert httpx.get(f"{server.url}/api/4.1/GetQueues/json").status_code == 200


def test_app_exception_is_a_500() -> None:
    with SimulatorServer(broken) as running:
        assert httpx.get(f"{running.url}/x").status_code == 500


def test_stop_closes_the_port() -> None:
    running = SimulatorServer(echo).start()
    url = running.url
    assert httpx.get(url).status_code == 200
    running.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=2)


def test_stop_ends_kept_alive_connections_and_start_serves_again() -> None:
    running = SimulatorServer(echo).start()
    with httpx.Client() as client:
        assert client.get(f"{running.url}/x").status_code == 200
        running.stop()
        with pytest.raises(httpx.TransportError):
            client.get(f"{running.url}/x", timeout=2)
        running.start()
        try:
            assert client.get(f"{running.url}/x").status_code == 200
        finally:
            running.stop()


def test_faults_match_the_query_string(server: SimulatorServer) -> None:
    server.faults.status = 503
    server.faults.paths = ("action=listcalls",)
    url = f"{server.url}/api/api.php"
    assert httpx.get(url, params={"action": "listcalls"}).status_code == 503
    assert httpx.get(url, params={"action": "sipstatus"}).status_code == 200


def test_recorded_replies_are_played_back_per_request(server: SimulatorServer) -> None:
    url = f"{server.url}/api"
    server.recording = {}
    first = httpx.get(url, params={"a": "1"}).json()
    httpx.post(url, data={"b": "2"})
    assert len(server.recording) == 2
    server.faults.replay, server.recording = dict(server.recording), None
    server.app = broken
    assert httpx.get(url, params={"a": "1"}).json() == first
    assert httpx.post(url, data={"b": "2"}).json()["form"] == {"b": ["2"]}
    assert httpx.get(url, params={"a": "other"}).status_code == 500, "not recorded: the app"


def test_a_hundred_connections_opened_at_once_are_all_accepted() -> None:
    """A feed opens one long-poll per agent together (Daktela: up to 100). The kernel
    completes handshakes up to the listen backlog before the server accepts any: with
    socketserver's 5, the rest waited for the client's SYN retry, seconds, and a feed's
    start timed out. Nothing accepts here, so only the backlog decides."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    sockets = [socket.socket() for _ in range(100)]
    try:
        for sock in sockets:
            sock.setblocking(False)
            sock.connect_ex(httpd.server_address)
        _, connected, _ = select.select([], sockets, [], 1.0)
        assert len(connected) == len(sockets)
        assert all(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
        httpd.server_close()
