"""A TCP proxy between the app processes and PostgreSQL that can play a database restart.

Why a proxy rather than ``pg_terminate_backend``: terminating backends drops the existing
connections, but the next connect succeeds at once, so "the database is down for a while"
is never seen; restarting the shared server would break every other test run on this
machine. ``outage(seconds)`` cuts every open connection mid-stream (as a crash or restart
does) and refuses new ones (the listening socket is closed) until the time is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from tools.processes import free_port


class PostgresFaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.triggered = threading.Event()
        self._trigger: tuple[bytes, float] | None = None

    def start(self) -> PostgresFaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def outage(self, seconds: float) -> None:
        """Drop every connection now and refuse new ones for ``seconds``."""
        self._call(self._begin_outage(seconds))

    def outage_on(self, statement: bytes, seconds: float) -> None:
        """When a client next sends ``statement``: drop every connection (that statement
        never reaches the server) and refuse new ones for ``seconds``."""
        self.triggered.clear()
        self._trigger = (statement, seconds)

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._cut_all()

    def _cut_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _begin_outage(self, seconds: float) -> None:
        await self._shutdown()
        self._loop.call_later(seconds, lambda: asyncio.ensure_future(self._listen()))

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.transport.abort()
            return
        self._writers.update((client_w, upstream_w))
        await asyncio.gather(
            self._pipe(client_r, upstream_w, client_w, watch=True),
            self._pipe(upstream_r, client_w, upstream_w, watch=False),
        )

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        own: asyncio.StreamWriter,
        *,
        watch: bool,
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if watch and self._trigger is not None and self._trigger[0] in data:
                    seconds = self._trigger[1]
                    self._trigger = None
                    await self._begin_outage(seconds)
                    self.triggered.set()
                    return
                writer.write(data)
                await writer.drain()
        # One side ended: end the other, as a real server's TCP connection would.
        for stream in (writer, own):
            self._writers.discard(stream)
            stream.transport.abort()
