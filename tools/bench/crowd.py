"""The fan-out benchmark's screens: WebSocket clients in processes of their own, so the
process that sends the deltas, and the server measured, do not share a loop with them.

Each client notes when a delta reached its socket by the kernel's receive timestamp
(``SO_TIMESTAMPNS``, on the real-time clock the sending process also reads), not by when its
process got round to reading it: a thousand clients reading in one process would add their
own queueing to what they measure (ADR 018).

``python -m tools.bench.crowd CONFIG_JSON`` runs one such process (``Screens``);
``tools.bench.fanout.Crowd`` runs several and speaks to each over its standard input and
output, one JSON line per command:
``{"grow": n}`` → ``{"alive": …, "refused": …}``; ``{"await": seq, "timeout": s}`` →
``{"arrivals": [t or null per client]}``; ``{"stats": true}`` → bytes, closes; EOF ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import uvloop

from tools.wsclient import OP_CLOSE, OP_PING, OP_PONG, HandshakeError, _mask, accepted, handshake

SEQ = re.compile(rb'data-seq="(\d+)"')
# Linux: the receive time of the data read, as a struct timespec on CLOCK_REALTIME.
SO_TIMESTAMPNS = 35
TIMESPEC = struct.Struct("qq")
READ_BYTES = 1 << 20
CONNECT_CONCURRENCY = 50
# A socket whose full state has not come by then counts as refused (a bench never hangs).
FULL_STATE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Target:
    host: str
    port: int


@dataclass
class Screen:
    """One board socket: frames parsed as they arrive, the time each sequence number came."""

    sock: socket.socket
    inflater: Any = None
    buffer: bytearray = field(default_factory=bytearray)
    fragments: list[bytes] = field(default_factory=list)
    compressed: bool = False
    arrivals: dict[int, float] = field(default_factory=dict)
    messages: int = 0
    bytes_received: int = 0
    closed: bool = False
    close_code: int | None = None

    def readable(self) -> None:
        try:
            data, ancillary, _, _ = self.sock.recvmsg(READ_BYTES, socket.CMSG_SPACE(16))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancillary = b"", []
        if not data:
            self.gone()
            return
        stamp = time.time()
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = TIMESPEC.unpack(payload[: TIMESPEC.size])
                stamp = seconds + nanoseconds / 1e9
        self.bytes_received += len(data)
        self.buffer += data
        self.parse(stamp)

    def parse(self, stamp: float) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            first, second = buf[0], buf[1]
            n, at = second & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                (n,) = struct.unpack_from("!H", buf, 2)
                at = 4
            elif n == 127:
                if len(buf) < 10:
                    return
                (n,) = struct.unpack_from("!Q", buf, 2)
                at = 10
            if len(buf) < at + n:
                return
            payload = bytes(buf[at : at + n])
            del buf[: at + n]
            self.frame(first, payload, stamp)

    def frame(self, first: int, payload: bytes, stamp: float) -> None:
        opcode = first & 0x0F
        if opcode == OP_CLOSE:
            if len(payload) >= 2:
                (self.close_code,) = struct.unpack("!H", payload[:2])
            self.gone()
            return
        if opcode == OP_PING:
            self.send_frame(OP_PONG, payload)
            return
        if opcode == OP_PONG:
            return
        if opcode != 0:  # the first frame of a message says whether it is compressed
            self.compressed = bool(first & 0x40)
        self.fragments.append(payload)
        if not first & 0x80:
            return
        data = b"".join(self.fragments)
        self.fragments = []
        if self.compressed and self.inflater is not None:
            data = self.inflater.decompress(data + b"\x00\x00\xff\xff")
        self.messages += 1
        for match in SEQ.finditer(data):
            self.arrivals.setdefault(int(match.group(1)), stamp)

    def send_frame(self, opcode: int, payload: bytes) -> None:
        key = os.urandom(4)
        with contextlib.suppress(OSError):  # tiny frames: the send buffer has room
            self.sock.send(
                struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + key + _mask(payload, key)
            )

    def gone(self) -> None:
        if not self.closed:
            self.closed = True
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()

    def close(self) -> None:
        if not self.closed:
            self.send_frame(OP_CLOSE, struct.pack("!H", 1000))
            self.gone()


async def connect(
    target: Target, path: str, headers: dict[str, str], deflate: bool, greeting: bool
) -> Screen:
    """A socket past the handshake; with ``greeting``, one that has read its first message
    (the full state)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, (target.host, target.port))
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        # Each server checks the full origin (scheme, host and port) against its own.
        origin = {"Origin": f"http://{target.host}:{target.port}"}
        request, accept = handshake(target.host, target.port, path, {**headers, **origin}, deflate)
        await loop.sock_sendall(sock, request)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = await loop.sock_recv(sock, 65536)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        head, rest = head.split(b"\r\n\r\n", 1)
        extensions = accepted(head, accept)
    except BaseException:
        sock.close()
        raise
    inflater = zlib.decompressobj(-15) if "permessage-deflate" in extensions else None
    screen = Screen(sock, inflater)
    screen.buffer += rest
    screen.parse(time.time())
    loop.add_reader(sock.fileno(), screen.readable)
    if not greeting:
        return screen
    deadline = time.monotonic() + FULL_STATE_TIMEOUT_S
    while not screen.messages and not screen.closed and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    if not screen.messages:
        screen.close()
        raise ConnectionError("no full state")
    return screen


class Screens:
    """The screens of one client process, spread over the targets in turn."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.targets = [Target(host, port) for host, port in config["targets"]]
        self.path: str = config["path"]
        self.headers: dict[str, str] = config["headers"]
        self.deflate: bool = config["deflate"]
        self.greeting: bool = config["greeting"]
        self.offset: int = config.get("offset", 0)
        self.screens: list[Screen] = []
        self.refused = 0

    async def grow(self, count: int) -> dict[str, Any]:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        start = len(self.screens) + self.refused + self.offset

        async def one(index: int) -> None:
            async with gate:
                target = self.targets[index % len(self.targets)]
                try:
                    screen = await connect(
                        target, self.path, self.headers, self.deflate, self.greeting
                    )
                    self.screens.append(screen)
                except (OSError, HandshakeError):
                    self.refused += 1

        await asyncio.gather(*(one(start + i) for i in range(count - len(self.screens))))
        return {"alive": sum(not s.closed for s in self.screens), "refused": self.refused}

    async def arrivals(self, seq: int, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(seq in s.arrivals or s.closed for s in self.screens):
                break
            await asyncio.sleep(0.005)
        return {"arrivals": [s.arrivals.get(seq) for s in self.screens]}

    def stats(self) -> dict[str, Any]:
        return {
            "bytes": sum(s.bytes_received for s in self.screens),
            "closed": sum(s.closed for s in self.screens),
            "refused": self.refused,
        }

    def close(self) -> None:
        for screen in self.screens:
            screen.close()


async def serve(config: dict[str, Any]) -> None:
    """Answer the commands on standard input until it ends."""
    crowd = Screens(config)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := await reader.readline():
            command = json.loads(line)
            if "grow" in command:
                reply = await crowd.grow(command["grow"])
            elif "await" in command:
                reply = await crowd.arrivals(command["await"], command["timeout"])
            else:
                reply = crowd.stats()
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    finally:
        crowd.close()


if __name__ == "__main__":
    uvloop.run(serve(json.loads(sys.argv[1])))
