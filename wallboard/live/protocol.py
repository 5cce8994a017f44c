"""uvicorn's WebSocket protocol (websockets-sansio) with each text frame encoded once per
process, not once per socket (ADR 018).

One delta goes to every screen watching the account: the same text, so the same frame.
uvicorn builds it again for each socket, and with permessage-deflate as uvicorn negotiates
it (each socket keeps its own compression context) it also compresses it again for each:
at 1,000 screens that was most of the web process's CPU per delta. Here the server
declares ``server_no_context_takeover`` (RFC 7692 §7.1.1.1: a server may always do so), so
a message's compressed bytes depend only on the message and the window size, and the frame
(header, payload, compressed or not) is built once and written to every socket.

Run it with ``uvicorn --ws wallboard.live.protocol:WebSocketProtocol``; everything but
sending text (handshake, pings, closes, what clients send) is uvicorn's.
"""

from __future__ import annotations

import functools
from typing import Any

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode
from websockets.protocol import State

# uvicorn --ws: what every place that starts the web server names.
WS_PROTOCOL = "wallboard.live.protocol:WebSocketProtocol"
# uvicorn's own settings (12-bit windows, memLevel 5), without the compression context that
# outlives a message: ≈ 45 KiB less per socket too.
WINDOW_BITS = 12
COMPRESS_SETTINGS = {"memLevel": 5}
# The distinct texts being sent at once: each account's delta in each language, a board's
# full state while its screens reconnect. A full state compresses to ~30 KB.
FRAMES_KEPT = 32


def deflate_factory() -> ServerPerMessageDeflateFactory:
    return ServerPerMessageDeflateFactory(
        server_no_context_takeover=True,
        server_max_window_bits=WINDOW_BITS,
        client_max_window_bits=WINDOW_BITS,
        compress_settings=COMPRESS_SETTINGS,
    )


@functools.lru_cache(maxsize=FRAMES_KEPT)
def text_frame(text: str, window_bits: int | None) -> bytes:
    """The bytes of a server's unfragmented text frame; compressed with that window when
    ``window_bits`` is given (a fresh compressor per message: no context taken over)."""
    extensions = []
    if window_bits is not None:
        extensions = [
            PerMessageDeflate(
                remote_no_context_takeover=False,
                local_no_context_takeover=True,
                remote_max_window_bits=WINDOW_BITS,
                local_max_window_bits=window_bits,
                compress_settings=COMPRESS_SETTINGS,
            )
        ]
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=extensions)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's protocol; ``websocket.send`` of text writes the process's shared frame."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            self.conn.available_extensions = [deflate_factory()]

    async def send(self, message: ASGISendEvent) -> None:
        text = message.get("text") if message["type"] == "websocket.send" else None
        if text is None or not self.open:
            await super().send(message)
            return
        await self.writable.wait()
        if self.disconnected or not self.open:  # while waiting for room: uvicorn answers
            await super().send(message)
            return
        self.transport.write(text_frame(text, self.window_bits))

    @property
    def open(self) -> bool:
        """Past the handshake, nothing closed, no fragmented message under way: where
        uvicorn would call ``send_text`` and write what it returns."""
        return (
            self.handshake_complete
            and not self.close_sent
            and self.initial_response is None
            and self.conn.state is State.OPEN
            and not self.conn.expect_continuation_frame
        )

    @functools.cached_property
    def window_bits(self) -> int | None:
        """The server's negotiated compression window, or None without compression (read
        once the handshake is done)."""
        for extension in self.conn.extensions:
            if isinstance(extension, PerMessageDeflate):
                return extension.local_max_window_bits
        return None
