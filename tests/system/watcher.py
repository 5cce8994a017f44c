"""A raw WebSocket client on a TV link, in its own thread, keeping every message it gets."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass

from tools.wsclient import HandshakeError, WebSocketClient

SEQ_MARKER = re.compile(r'<div id="seq-(\d+)"[^>]*?data-seq="(\d+)"([^>]*)>')


@dataclass(frozen=True)
class SeqMarker:
    account: int
    seq: int
    full: bool


def seq_markers(message: str) -> list[SeqMarker]:
    return [
        SeqMarker(int(account), int(seq), "data-full" in rest)
        for account, seq, rest in SEQ_MARKER.findall(message)
    ]


class BoardWatcher:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.path = f"/ws/tv/{token}/"
        # (when, text) of every message, in order.
        self.received: list[tuple[float, str]] = []
        self.connected = threading.Event()
        self.closed = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._client: WebSocketClient | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._run(),))

    def start(self) -> BoardWatcher:
        self._thread.start()
        if not self.connected.wait(30) or self._client is None:
            raise AssertionError(f"no WebSocket on port {self.port}: {self.received}")
        return self

    async def _run(self) -> None:
        try:
            self._client = await WebSocketClient.connect(
                "127.0.0.1", self.port, self.path, {"Origin": f"http://127.0.0.1:{self.port}"}
            )
        except (OSError, HandshakeError) as err:
            self.received.append((time.time(), f"connect failed: {err}"))
            self.connected.set()
            return
        self.connected.set()
        while (message := await self._client.recv()) is not None:
            self.received.append((time.time(), message))
        self.closed.set()

    def stop(self) -> None:
        if self._client is not None and not self.closed.is_set():
            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result(10)
        self._thread.join(10)
        self._loop.close()

    @property
    def messages(self) -> list[str]:
        return [text for _, text in list(self.received)]

    def messages_since(self, since: float) -> list[str]:
        return [text for when, text in list(self.received) if when >= since]

    def markers(self) -> list[SeqMarker]:
        return [marker for message in list(self.messages) for marker in seq_markers(message)]
