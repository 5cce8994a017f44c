"""A tiny real HTTP server for the vendor simulators (stdlib only, threaded).

``SimulatorServer(app)`` serves ``app(SimRequest) -> SimResponse`` on a background thread::

    with SimulatorServer(DaktelaSimulator(engine)) as server:
        httpx.get(f"{server.url}/api/4.1/RTUsersState/json?access_token=…")

``server.faults`` injects failures for reliability tests (delay, HTTP status with
``Retry-After``, a raw body override such as an HTML error page or truncated JSON, a
connection closed without a reply, or older replies played back), optionally only for
requests whose path or query string contains one of ``faults.paths`` (VoIPSUN names its
endpoints in the query: ``action=listcalls``). ``server.request_counts`` counts requests per
path (query string excluded). ``server.recording``, when set to a dict, keeps the last reply
to every distinct request (see ``request_key``), for ``faults.replay`` to send again later.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlencode, urlsplit

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_FAULT_BODY = b"<html><body><h1>Service Unavailable</h1></body></html>"


@dataclass(frozen=True)
class SimRequest:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    form: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    def param(self, name: str) -> str | None:
        """The first value of ``name`` from the query string, else from the form body."""
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else None

    def params(self) -> dict[str, list[str]]:
        """Query and form merged (query values first)."""
        merged = {key: list(values) for key, values in self.form.items()}
        for key, values in self.query.items():
            merged[key] = [*values, *merged.get(key, [])]
        return merged


@dataclass(frozen=True)
class SimResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


App = Callable[[SimRequest], SimResponse]


def request_key(request: SimRequest) -> str:
    """The method, path and parameters of a request: equal for a repeated request."""
    params = sorted((name, value) for name, values in request.params().items() for value in values)
    return f"{request.method} {request.path}?{urlencode(params)}"


@dataclass
class Faults:
    """What the server does wrong on purpose. All off by default; ``clear()`` resets."""

    delay_s: float | None = None
    status: int | None = None
    retry_after: int | None = None
    body: bytes | None = None
    refuse: bool = False
    # Replies by ``request_key``, sent instead of the app's (an old reply played again).
    replay: Mapping[str, SimResponse] | None = None
    paths: tuple[str, ...] | None = None

    def clear(self) -> None:
        self.delay_s = self.status = self.retry_after = self.body = self.paths = None
        self.replay = None
        self.refuse = False

    def applies_to(self, target: str) -> bool:
        """``target`` is the request's path with its query string."""
        return self.paths is None or any(part in target for part in self.paths)

    @property
    def active(self) -> bool:
        return (
            self.delay_s is not None
            or self.status is not None
            or self.body is not None
            or self.replay is not None
            or self.refuse
        )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # A response goes out in two writes, the headers and then the body. With Nagle's
    # algorithm on, the body of each kept-alive request waited for the client's delayed
    # ACK of the headers: 40 ms on Linux, four times in a Daktela poll. No vendor's server
    # stalls like that, and every figure measured against a simulator carried it.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default request log."""

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        owner = self.server.owner
        owner._count(parts.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        raw = self.rfile.read(min(length, MAX_BODY_BYTES)) if length > 0 else b""
        form: dict[str, list[str]] = {}
        if raw and "application/x-www-form-urlencoded" in headers.get("content-type", ""):
            form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)

        request = SimRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            form=form,
            headers=headers,
        )
        key = request_key(request)
        faults = owner.faults
        if faults.active and faults.applies_to(f"{parts.path}?{parts.query}"):
            if faults.delay_s:
                time.sleep(faults.delay_s)
            if faults.refuse:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if faults.status is not None or faults.body is not None:
                extra = {}
                if faults.retry_after is not None:
                    extra["Retry-After"] = str(faults.retry_after)
                body = faults.body if faults.body is not None else DEFAULT_FAULT_BODY
                content_type = (
                    "text/html" if body.lstrip().startswith(b"<") else ("application/json")
                )
                self._send(SimResponse(faults.status or 200, body, content_type, extra))
                return
            if faults.replay is not None and key in faults.replay:
                self._send(faults.replay[key])
                return

        try:
            response = owner.app(request)
        except Exception:  # a simulator bug must show as a 500, not kill the thread
            response = SimResponse(500, b"simulator error", "text/plain")
        if owner.recording is not None:
            owner.recording[key] = response
        self._send(response)

    def _send(self, response: SimResponse) -> None:
        content_type = response.content_type
        if "charset" not in content_type and not content_type.startswith("image/"):
            content_type += "; charset=utf-8"
        with contextlib.suppress(OSError):
            self.send_response(response.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's backlog of 5 drops connections a feed opens together (one long-poll
    # per agent): they wait for the kernel's SYN retry, seconds. A vendor's server keeps more.
    request_queue_size = 512
    owner: SimulatorServer

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def close_connections(self) -> None:
        """End kept-alive connections too, so a stopped server answers nothing at all."""
        with self.connections_lock:
            connections, self.connections = self.connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SimulatorServer:
    """Serve one simulator app on ``host:port`` (port 0 picks a free port)."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.faults = Faults()
        self.request_counts: Counter[str] = Counter()
        self.recording: dict[str, SimResponse] | None = None
        self._counts_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def total_requests(self) -> int:
        with self._counts_lock:
            return sum(self.request_counts.values())

    def counts_now(self) -> Counter[str]:
        """A copy of ``request_counts``, taken while no request is being counted."""
        with self._counts_lock:
            return Counter(self.request_counts)

    def _count(self, path: str) -> None:
        with self._counts_lock:
            self.request_counts[path] += 1

    def start(self) -> SimulatorServer:
        if self._httpd is not None:
            return self
        httpd = _Server((self.host, self.port), _Handler)
        httpd.owner = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def serve_forever(self) -> None:
        """Run in the foreground (management command); Ctrl-C stops."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
