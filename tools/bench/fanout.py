"""Fan-out: one delta to N WebSocket clients on one server process (or spread over
several behind the Redis layer), and provider requests per minute with 1 and with 500
viewers.

The clients run in processes of their own (``tools.bench.crowd``), a share of the crowd
each. The deltas are real messages of agent changes on the board they watch, sent to the
account's group through the channel layer exactly as ``wallboard.live.push`` sends them.
Delivery time runs from the ``group_send`` call to the kernel's receive timestamp of the
frame in the client's socket, both on the real-time clock. A client that misses a delta
within the timeout, or whose socket closes, counts as dropped (ADR 010, ADR 018).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channels.layers import get_channel_layer
from django.db import close_old_connections

from tools.bench.harness import Bench, mean, percentile, rounded
from tools.processes import ROOT, Server
from wallboard.live.push import account_group
from wallboard.wiring.pipeline import embedded_scheduler

SEQ = re.compile(r'data-seq="(\d+)"')
BENCH_SEQ = 10_000_000  # far above any real sequence number of the account
DELIVERY_TIMEOUT_S = 5.0
# Two client processes: the server measured keeps one of the two cores to itself.
CLIENT_PROCESSES = 2


@dataclass
class Crowd:
    """Board sockets held by ``CLIENT_PROCESSES`` client processes, spread over
    ``servers`` in turn. ``greeting``: a socket counts once it has read its first message
    (the full state), so no delta queues behind it."""

    servers: Sequence[Server]
    path: str
    headers: dict[str, str]
    deflate: bool = True
    greeting: bool = True
    processes: int = CLIENT_PROCESSES
    clients: list[asyncio.subprocess.Process] = field(default_factory=list)
    alive: int = 0
    refused: int = 0
    size: int = 0

    async def start(self) -> None:
        for index in range(self.processes):
            config = {
                "targets": [(s.host, s.port) for s in self.servers],
                "path": self.path,
                "headers": self.headers,
                "deflate": self.deflate,
                "greeting": self.greeting,
                "offset": index,
            }
            self.clients.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tools.bench.crowd",
                    json.dumps(config),
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            )

    async def _ask(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async def one(
            client: asyncio.subprocess.Process, command: dict[str, Any]
        ) -> dict[str, Any]:
            assert client.stdin is not None
            assert client.stdout is not None
            client.stdin.write(json.dumps(command).encode() + b"\n")
            await client.stdin.drain()
            line = await client.stdout.readline()
            if not line:
                raise RuntimeError(f"a client process ended (exit code {client.returncode})")
            reply: dict[str, Any] = json.loads(line)
            return reply

        pairs = zip(self.clients, commands, strict=True)
        return list(await asyncio.gather(*(one(c, cmd) for c, cmd in pairs)))

    async def grow(self, count: int) -> None:
        """Connect sockets until the crowd holds ``count`` (refused ones included)."""
        shares = [
            count // self.processes + (i < count % self.processes) for i in range(self.processes)
        ]
        replies = await self._ask([{"grow": n} for n in shares])
        self.alive = sum(r["alive"] for r in replies)
        self.refused = sum(r["refused"] for r in replies)
        self.size = count

    async def arrivals(self, seq: int) -> list[float | None]:
        """When each socket received the delta ``seq`` (real-time clock), None if not
        within ``DELIVERY_TIMEOUT_S``."""
        replies = await self._ask([{"await": seq, "timeout": DELIVERY_TIMEOUT_S}] * self.processes)
        return [t for r in replies for t in r["arrivals"]]

    async def stats(self) -> dict[str, int]:
        replies = await self._ask([{"stats": True}] * self.processes)
        return {key: sum(r[key] for r in replies) for key in ("bytes", "closed", "refused")}

    def cpu_s(self) -> float:
        return sum(process_cpu_s(c.pid) for c in self.clients)

    async def close(self) -> None:
        for client in self.clients:
            if client.stdin is not None:
                client.stdin.close()
        for client in self.clients:
            try:
                await asyncio.wait_for(client.wait(), 30)
            except TimeoutError:
                client.kill()
                await client.wait()


def process_cpu_s(pid: int) -> float:
    """CPU time (user + system) a process has used: unlike latency, it does not grow with
    the other work on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def servers_cpu_s(servers: Sequence[Server]) -> float:
    return sum(process_cpu_s(s.pid) for s in servers)


async def measure_fanout(
    crowd: Crowd, group: str, messages: Sequence[str], deltas: int, first_seq: int
) -> dict[str, Any]:
    """``deltas`` deltas, 0.2 s apart, each one of ``messages`` in turn with its own
    sequence number (real deltas differ, which is what compression sees)."""
    layer = get_channel_layer()
    assert layer is not None
    await asyncio.sleep(0.5)  # let the connect burst settle
    before = await crowd.stats()
    cpu_before = servers_cpu_s(crowd.servers)
    clients_before = crowd.cpu_s()
    latencies: list[float] = []
    missed: set[int] = set()
    for k in range(deltas):
        seq = first_seq + k
        html = SEQ.sub(f'data-seq="{seq}"', messages[k % len(messages)])
        sent = time.time()
        await layer.group_send(
            group, {"type": "board.update", "account": 0, "seq": seq, "html": html}
        )
        for index, at in enumerate(await crowd.arrivals(seq)):
            if at is None:
                missed.add(index)
            else:
                latencies.append((at - sent) * 1000)
        await asyncio.sleep(0.2)
    server_cpu_s = servers_cpu_s(crowd.servers) - cpu_before
    client_cpu_s = crowd.cpu_s() - clients_before
    after = await crowd.stats()
    return {
        "clients": crowd.size,
        "servers": len(crowd.servers),
        "refused": crowd.refused,
        "deltas": deltas,
        "message_bytes": round(mean([len(m.encode()) for m in messages]) or 0),
        # What one delivered delta took on the wire: smaller than the message if compressed.
        "wire_bytes": round((after["bytes"] - before["bytes"]) / len(latencies))
        if latencies
        else None,
        "p50_ms": rounded(percentile(latencies, 50)),
        "p99_ms": rounded(percentile(latencies, 99)),
        "max_ms": rounded(max(latencies) if latencies else None),
        "mean_ms": rounded(mean(latencies)),
        "server_cpu_ms_per_delta": rounded(server_cpu_s * 1000 / deltas),
        # The clients' share of the machine: they must not be what is measured.
        "client_cpu_ms_per_delta": rounded(client_cpu_s * 1000 / deltas),
        "dropped": len(missed) + crowd.refused,
        "closed": after["closed"],
        "load_avg": round(os.getloadavg()[0], 2),
    }


def count_requests(bench: Bench, seconds: float) -> dict[str, Any]:
    """Run the real scheduler (claim + poll, as Celery does) and count provider requests
    over the polls of about ``seconds``: from one poll's agents request to the one that
    many polls later, so every window holds the same whole number of polls, wherever the
    cadence falls (a window of fixed seconds holds one poll more or less)."""
    polls = max(1, round(seconds / bench.account.poll_interval_s))
    scheduler = embedded_scheduler(tick_s=0.2, workers=2).start()
    try:
        # The first poll is late (the account has been due since the last phase), so the
        # next one follows at once (``poll._next_poll``): the cadence starts at the second.
        first = _next_poll(bench, _next_poll(bench, _polls(bench), seconds + 10), seconds + 10)
        before, started = bench.server.counts_now(), time.monotonic()
        _next_poll(bench, first + polls - 1, seconds + 10)
        by_path = bench.server.counts_now() - before
        elapsed = time.monotonic() - started
    finally:
        scheduler.stop()
        close_old_connections()
    requests = by_path.total()
    return {
        "requests": requests,
        "by_path": dict(sorted(by_path.items())),
        "polls": polls,
        "seconds": round(elapsed, 1),
        "per_min": round(requests * 60 / elapsed, 1),
        # What one poll more or less would move the rate by.
        "resolution_per_min": round(requests / polls * 60 / elapsed, 1),
    }


def _next_poll(bench: Bench, after: int, timeout_s: float) -> int:
    """Wait until the simulator has seen a poll past the ``after``-th; their count then."""
    deadline = time.monotonic() + timeout_s
    while (seen := _polls(bench)) <= after:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no poll past the {after}th within {timeout_s:.0f} s")
        time.sleep(0.005)
    return seen


def _polls(bench: Bench) -> int:
    """Each poll reads the agents once (Daktela ``RTUsersState``)."""
    return sum(n for path, n in bench.server.counts_now().items() if "RTUsersState" in path)


async def run_fanout(
    servers: Sequence[Server],
    session_key: str,
    bench: Bench,
    messages: Sequence[str],
    counts: tuple[int, ...],
    deltas: int,
    requests_window_s: float = 0,
    requests_at: tuple[int, ...] = (),
    deflate: bool = True,
    greeting: bool = True,
) -> dict[str, Any]:
    """``deflate``: the clients offer permessage-deflate, as browsers do, so the server's
    compression is part of what is measured (ADR 012, ADR 018)."""
    path = f"/ws/board/?account={bench.account.pk}"
    headers = {"Cookie": f"sessionid={session_key}"}
    crowd = Crowd(servers, path, headers, deflate, greeting)
    group = account_group(bench.account.pk)
    out: dict[str, Any] = {"fanout": {}, "requests": {}}
    seq = BENCH_SEQ
    await crowd.start()
    try:
        for n in sorted({*counts, *(c for c in requests_at if c <= max(counts))}):
            await crowd.grow(n)
            if n in counts:
                out["fanout"][n] = await measure_fanout(crowd, group, messages, deltas, seq)
                seq += deltas
            if n in requests_at and requests_window_s > 0:
                out["requests"][n] = await asyncio.to_thread(
                    _threaded(count_requests), bench, requests_window_s
                )
                out["requests"][n]["viewers"] = crowd.alive
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
