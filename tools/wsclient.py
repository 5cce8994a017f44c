"""A minimal WebSocket client on asyncio streams (RFC 6455: handshake, text frames, ping,
close). Enough to hold a thousand board connections in one process cheaply. It offers
permessage-deflate (RFC 7692) only when asked, as browsers do, to measure what compression
costs the server."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import struct
import zlib

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeError(Exception):
    pass


def _mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return payload
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return masked.to_bytes(len(payload), "big")


def handshake(
    host: str, port: int, path: str, headers: dict[str, str], deflate: bool
) -> tuple[bytes, bytes]:
    """The opening request of a client, and the ``Sec-WebSocket-Accept`` it expects."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(["Sec-WebSocket-Extensions: permessage-deflate"] if deflate else []),
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())  # noqa: S324
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), accept


def accepted(head: bytes, accept: bytes) -> str:
    """The server's ``Sec-WebSocket-Extensions`` ("" without), once its answer ``head``
    is checked to be the switch to WebSocket it must be."""
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status + b" ":
        raise HandshakeError(status.decode(errors="replace"))
    if accept not in head:
        raise HandshakeError("bad Sec-WebSocket-Accept")
    return b", ".join(
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-extensions:")
    ).decode()


class WebSocketClient:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        inflater: zlib._Decompress | None = None,
        extensions: str = "",
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.inflater = inflater
        # The server's Sec-WebSocket-Extensions answer ("" without one).
        self.extensions = extensions
        self.closed = False
        self.close_code: int | None = None
        self.bytes_received = 0
        self.compressed_messages = 0

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        path: str,
        headers: dict[str, str] | None = None,
        deflate: bool = False,
    ) -> WebSocketClient:
        reader, writer = await asyncio.open_connection(host, port)
        request, accept = handshake(host, port, path, headers or {}, deflate)
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        try:
            extensions = accepted(head, accept)
        except HandshakeError:
            writer.close()
            raise
        # One inflater for the connection reads a server that keeps its compression context
        # between messages and one that does not; ours (client to server) is never used:
        # this client sends no compressed data.
        inflater = zlib.decompressobj(-15) if "permessage-deflate" in extensions else None
        return cls(reader, writer, inflater, extensions)

    async def _send_frame(self, opcode: int, payload: bytes) -> None:
        key = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        self.writer.write(header + key + _mask(payload, key))
        await self.writer.drain()

    async def send(self, text: str) -> None:
        await self._send_frame(OP_TEXT, text.encode())

    async def recv(self) -> str | None:
        """The next text message, or None once the server closed the connection."""
        chunks: list[bytes] = []
        compressed = False
        read = self.reader.readexactly
        try:
            while True:
                first, second = await read(2)
                opcode, n = first & 0x0F, second & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", await read(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", await read(8))
                key = await read(4) if second & 0x80 else b""
                payload = await read(n) if n else b""
                if key:
                    payload = _mask(payload, key)
                self.bytes_received += n + 2
                if opcode == OP_CLOSE:
                    self.closed = True
                    if len(payload) >= 2:
                        (self.close_code,) = struct.unpack("!H", payload[:2])
                    return None
                if opcode == OP_PING:
                    await self._send_frame(OP_PONG, payload)
                    continue
                if opcode == OP_PONG:
                    continue
                if opcode != 0:  # the first frame of a message says if it is compressed
                    compressed = bool(first & 0x40)
                chunks.append(payload)
                if first & 0x80:
                    data = b"".join(chunks)
                    if compressed and self.inflater is not None:
                        self.compressed_messages += 1
                        data = self.inflater.decompress(data + b"\x00\x00\xff\xff")
                    return data.decode()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed = True
            return None

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(ConnectionError):
                await self._send_frame(OP_CLOSE, struct.pack("!H", 1000))
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
