"""Fan-out: one delta to N WebSocket clients on one server process, and provider requests
per minute with 1 and with 500 viewers.

The clients run in this process (one asyncio loop, ``wsclient``); the delta is the real
message of one agent change on the board they watch, sent to the account's group through
the channel layer exactly as ``wallboard.live.push`` sends it. Delivery time is from the
``group_send`` call to the frame being read by the client (same clock). A client that
misses a delta within the timeout, or whose socket closes, counts as dropped.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channels.layers import get_channel_layer
from django.db import close_old_connections

from tools.bench.harness import Bench, mean, percentile, rounded
from tools.processes import Server
from tools.wsclient import HandshakeError, WebSocketClient
from wallboard.live.push import account_group
from wallboard.wiring.pipeline import embedded_scheduler

SEQ = re.compile(r'data-seq="(\d+)"')
BENCH_SEQ = 10_000_000  # far above any real sequence number of the account
DELIVERY_TIMEOUT_S = 5.0
# A socket whose full state has not come by then counts as refused (a bench never hangs).
FULL_STATE_TIMEOUT_S = 30.0


@dataclass
class Viewer:
    client: WebSocketClient
    arrivals: dict[int, float] = field(default_factory=dict)
    messages: int = 0
    task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        while True:
            text = await self.client.recv()
            if text is None:
                return
            now = time.perf_counter()
            self.messages += 1
            for match in SEQ.finditer(text):
                self.arrivals[int(match.group(1))] = now


@dataclass
class Crowd:
    server: Server
    path: str
    headers: dict[str, str]
    deflate: bool = False
    viewers: list[Viewer] = field(default_factory=list)
    refused: int = 0

    async def grow(self, count: int, concurrency: int = 50) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                try:
                    client = await WebSocketClient.connect(
                        self.server.host, self.server.port, self.path, self.headers, self.deflate
                    )
                except (HandshakeError, OSError, asyncio.IncompleteReadError):
                    self.refused += 1
                    return
                viewer = Viewer(client)
                # Wait for the full state sent on connect, so the delta is not queued behind it.
                try:
                    first = await asyncio.wait_for(client.recv(), FULL_STATE_TIMEOUT_S)
                except TimeoutError:
                    first = None
                if first is None:
                    self.refused += 1
                    await client.close()
                    return
                viewer.messages = 1
                viewer.task = asyncio.create_task(viewer.read())
                self.viewers.append(viewer)

        await asyncio.gather(*(one() for _ in range(count - len(self.viewers))))

    @property
    def alive(self) -> list[Viewer]:
        return [v for v in self.viewers if not v.client.closed]

    async def close(self) -> None:
        for viewer in self.viewers:
            if viewer.task is not None:
                viewer.task.cancel()
        await asyncio.gather(*(v.client.close() for v in self.viewers), return_exceptions=True)


async def _deliver(crowd: Crowd, group: str, html: str, seq: int) -> list[float | None]:
    layer = get_channel_layer()
    assert layer is not None
    message = {
        "type": "board.update",
        "account": 0,
        "seq": seq,
        "html": SEQ.sub(f'data-seq="{seq}"', html),
    }
    viewers = list(crowd.viewers)
    sent = time.perf_counter()
    await layer.group_send(group, message)
    deadline = sent + DELIVERY_TIMEOUT_S
    while time.perf_counter() < deadline:
        if all(seq in v.arrivals or v.client.closed for v in viewers):
            break
        await asyncio.sleep(0.005)
    return [(v.arrivals[seq] - sent) * 1000 if seq in v.arrivals else None for v in viewers]


def process_cpu_s(pid: int) -> float:
    """CPU time (user + system) a process has used: unlike latency, it does not grow with
    the other work on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure_fanout(
    crowd: Crowd, group: str, html: str, deltas: int, first_seq: int
) -> dict[str, Any]:
    await asyncio.sleep(0.5)  # let the connect burst settle
    received_before = sum(v.client.bytes_received for v in crowd.viewers)
    cpu_before = process_cpu_s(crowd.server.pid)
    latencies: list[float] = []
    missed: set[int] = set()
    for k in range(deltas):
        results = await _deliver(crowd, group, html, first_seq + k)
        for index, ms in enumerate(results):
            if ms is None:
                missed.add(index)
            else:
                latencies.append(ms)
        await asyncio.sleep(0.2)
    server_cpu_s = process_cpu_s(crowd.server.pid) - cpu_before
    closed = sum(1 for v in crowd.viewers if v.client.closed)
    received = sum(v.client.bytes_received for v in crowd.viewers) - received_before
    return {
        "clients": len(crowd.viewers),
        "refused": crowd.refused,
        "deltas": deltas,
        "message_bytes": len(html.encode()),
        # What one delivered delta took on the wire: smaller than the message if compressed.
        "wire_bytes": round(received / len(latencies)) if latencies else None,
        "p50_ms": rounded(percentile(latencies, 50)),
        "p99_ms": rounded(percentile(latencies, 99)),
        "max_ms": rounded(max(latencies) if latencies else None),
        "mean_ms": rounded(mean(latencies)),
        "server_cpu_ms_per_delta": rounded(server_cpu_s * 1000 / deltas),
        "dropped": len(missed | {i for i, v in enumerate(crowd.viewers) if v.client.closed})
        + crowd.refused,
        "closed": closed,
    }


def count_requests(bench: Bench, seconds: float) -> dict[str, float]:
    """Run the real scheduler (claim + poll, as Celery does) and count provider requests."""
    before = bench.server.total_requests
    polls_before = _polls(bench)
    scheduler = embedded_scheduler(tick_s=0.2, workers=2).start()
    started = time.monotonic()
    time.sleep(seconds)
    scheduler.stop()
    elapsed = time.monotonic() - started
    close_old_connections()
    requests = bench.server.total_requests - before
    polls = _polls(bench) - polls_before
    return {
        "requests": requests,
        "polls": polls,
        "seconds": round(elapsed, 1),
        "per_min": round(requests * 60 / elapsed, 1),
        # The window holds a whole number of polls: one poll more or less is the resolution.
        "resolution_per_min": round(requests / max(polls, 1) * 60 / elapsed, 1),
    }


def _polls(bench: Bench) -> int:
    """Each poll reads the agents once (Daktela ``RTUsersState``)."""
    counts = dict(bench.server.request_counts)
    return sum(n for path, n in counts.items() if "RTUsersState" in path)


async def run_fanout(
    server: Server,
    session_key: str,
    bench: Bench,
    html: str,
    counts: tuple[int, ...],
    deltas: int,
    requests_window_s: float,
    requests_at: tuple[int, ...] = (1, 500),
    deflate: bool = True,
) -> dict[str, Any]:
    """``deflate``: the clients offer permessage-deflate, as browsers do, so the server's
    compression is part of what is measured (ADR 012)."""
    path = f"/ws/board/?account={bench.account.pk}"
    headers = {"Cookie": f"sessionid={session_key}", "Origin": server.url}
    crowd = Crowd(server, path, headers, deflate)
    group = account_group(bench.account.pk)
    out: dict[str, Any] = {"fanout": {}, "requests": {}}
    seq = BENCH_SEQ
    try:
        for n in sorted({*counts, *(c for c in requests_at if c <= max(counts))}):
            await crowd.grow(n)
            if n in counts:
                out["fanout"][n] = await measure_fanout(crowd, group, html, deltas, seq)
                seq += deltas
            if n in requests_at and requests_window_s > 0:
                out["requests"][n] = await asyncio.to_thread(
                    _threaded(count_requests), bench, requests_window_s
                )
                out["requests"][n]["viewers"] = len(crowd.alive)
    finally:
        await crowd.close()
    return out


def _threaded(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        try:
            return fn(*args)
        finally:
            close_old_connections()

    return run
