"""Pipeline cost per poll (parse + normalise + diff + store + publish) against the naive way,
and the bytes one agent change puts on the wire against the full board.

Each poll's replies are fetched from the simulator first (untimed: the simulator runs in
this process and its JSON rendering must not count), then replayed to both ways, so both
parse exactly the same bytes. Each way keeps one adapter across its polls, as the poller
keeps one per account. CPU is ``time.process_time`` of this process (our Python,
psycopg, the push thread); wall also includes PostgreSQL and Redis.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx

from providers.base import Provider
from providers.model import AgentStatus
from providers.sim.engine import ManualClock, SimConfig
from tools.bench.harness import (
    Bench,
    Pushes,
    ReplayTransport,
    add_account,
    full_board_html,
    mean,
    percentile,
    record_replies,
    rounded,
    running,
    screens,
    start_bench,
)
from tools.bench.naive import naive_poll
from wallboard.live.presence import Watch
from wallboard.live.protocol import WINDOW_BITS, text_frame
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import poll_once
from wallboard.wiring.pipeline import after_commit

NORMAL_PAUSES = ("6", "7")
# The screens the account has while it is measured: one board in the default language
# (changes are rendered only for the languages screens watch, ADR 031).
SCREEN = "en"


@dataclass
class Cost:
    cpu_ms: list[float]
    wall_ms: list[float]

    def summary(self) -> dict[str, float | None]:
        return {
            "cpu_ms_mean": rounded(mean(self.cpu_ms), 2),
            "cpu_ms_p50": rounded(percentile(self.cpu_ms, 50), 2),
            "cpu_ms_p99": rounded(percentile(self.cpu_ms, 99), 2),
            "wall_ms_mean": rounded(mean(self.wall_ms), 2),
            "wall_ms_p50": rounded(percentile(self.wall_ms, 50), 2),
        }


def _timed(run: Callable[[], object], cost: Cost) -> None:
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    cost.cpu_ms.append((time.process_time() - cpu) * 1000)
    cost.wall_ms.append((time.perf_counter() - wall) * 1000)


def churn(bench: Bench, rng: random.Random, count: int) -> list[str]:
    """Flip ``count`` logged-in agents between ready and paused; returns their ids."""
    engine = bench.engine
    with engine.lock:
        candidates = sorted(
            (a.id for a in engine.agents.values() if a.logged_in),
            key=int,
        )
        paused = {a.id for a in engine.agents.values() if a.status is AgentStatus.PAUSED}
    chosen = rng.sample(candidates, min(count, len(candidates)))
    for agent_id in chosen:
        if agent_id in paused:
            engine.set_status(agent_id, AgentStatus.IDLE)
        else:
            engine.set_status(agent_id, AgentStatus.PAUSED, pause_id=rng.choice(NORMAL_PAUSES))
    return chosen


def quiet_config(agents: int, seed: int = 7) -> SimConfig:
    """A call center that changes only when the benchmark says so."""
    return SimConfig(
        agents=agents,
        queues=max(1, agents // 10),
        seed=seed,
        calls_per_min_per_queue=0,
        pause_rate_per_hour=0,
    )


def _advance(bench: Bench, seconds: float) -> None:
    assert isinstance(bench.clock, ManualClock)
    bench.clock.advance(seconds)


@dataclass
class Replaying:
    """An adapter that answers each poll from the replies recorded for it."""

    provider: Provider
    transport: ReplayTransport

    @classmethod
    def start(cls, bench: Bench) -> Replaying:
        transport = ReplayTransport({})
        return cls(bench.provider(httpx.Client(transport=transport)), transport)

    def replaying(self, replies: dict[str, bytes]) -> Provider:
        self.transport.replies = replies
        return self.provider


def _ours(bench: Bench, way: Replaying, replies: dict[str, bytes], changes: list[int]) -> None:
    changes.append(
        poll_once(bench.account, on_commit=after_commit, provider=way.replaying(replies)).changes
    )


def _naive(way: Replaying, account: ProviderAccount, replies: dict[str, bytes]) -> None:
    naive_poll(account, way.replaying(replies))


def measure_pipeline(
    agents: int, churn_pcts: tuple[int, ...], polls: int, naive_polls: int, warmup: int = 1
) -> dict[str, Any]:
    """Both ways at each churn, on one simulated call center of ``agents`` agents (the
    naive way, slow and steady, only in the first ``naive_polls`` polls), watched by one
    board in ``SCREEN`` (the naive way renders the board in that language too)."""
    rng = random.Random(agents)
    results: dict[str, Any] = {}
    with (
        running(start_bench(f"pipeline {agents}", quiet_config(agents))) as bench,
        screens(Watch(bench.account.pk, SCREEN)),
    ):
        naive_account = add_account(bench.server, bench.engine, f"naive {agents}")
        ours_way, naive_way = Replaying.start(bench), Replaying.start(bench)
        poll_once(bench.account, on_commit=after_commit, provider=bench.provider())
        naive_poll(naive_account, bench.provider())
        for pct in churn_pcts:
            count = round(agents * pct / 100)
            ours, naive = Cost([], []), Cost([], [])
            changes: list[int] = []
            for i in range(warmup + polls):
                churn(bench, rng, count)
                _advance(bench, 2)
                replies = record_replies(bench)
                ways: list[tuple[Cost, Callable[[], object]]] = [
                    (ours, partial(_ours, bench, ours_way, replies, changes)),
                    (naive, partial(_naive, naive_way, naive_account, replies)),
                ]
                if i >= warmup + naive_polls:
                    ways.pop()
                elif i % 2:
                    ways.reverse()
                for cost, run in ways:
                    if i < warmup:
                        run()
                    else:
                        _timed(run, cost)
            ratio_cpu = (mean(naive.cpu_ms) or 0) / max(mean(ours.cpu_ms) or 0, 1e-6)
            ratio_wall = (mean(naive.wall_ms) or 0) / max(mean(ours.wall_ms) or 0, 1e-6)
            results[f"{pct}pct"] = {
                "agents": agents,
                "queues": bench.engine.config.queues,
                "churn_pct": pct,
                "agents_changed_per_poll": count,
                "polls": polls,
                "stored_changes_mean": rounded(mean([float(c) for c in changes[-polls:]]), 1),
                "ours": ours.summary(),
                "naive": naive.summary(),
                "naive_ratio_cpu": round(ratio_cpu, 1),
                "naive_ratio_wall": round(ratio_wall, 1),
            }
        ours_way.provider.close()
        naive_way.provider.close()
        results["bytes"] = measure_bytes(bench, rng)
    return results


def measure_bytes(bench: Bench, rng: random.Random) -> dict[str, int]:
    """One agent changes status: the message pushed, against the full board it replaces."""
    pushes = Pushes()
    for _ in range(3):
        churn(bench, rng, 1)
        _advance(bench, 2)
        poll_once(bench.account, on_commit=pushes, provider=bench.provider())
    sizes = sorted(len(html.encode()) for html in pushes.html())
    # On the wire where the browser negotiated compression: each frame compressed alone.
    wire = sorted(len(text_frame(html, WINDOW_BITS)) for html in pushes.html())
    account = ProviderAccount.objects.get(pk=bench.account.pk)
    full = full_board_html(account)
    return {
        "bytes_per_agent_change": sizes[len(sizes) // 2] if sizes else 0,
        "bytes_per_agent_change_max": sizes[-1] if sizes else 0,
        "wire_bytes_per_agent_change": wire[len(wire) // 2] if wire else 0,
        "full_board_bytes": len(full.encode()),
        "full_board_wire_bytes": len(text_frame(full, WINDOW_BITS)),
        "board_agents": bench.engine.config.agents,
        "board_queues": bench.engine.config.queues,
    }
