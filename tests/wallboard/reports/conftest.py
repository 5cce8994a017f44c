"""A seeded simulator on a manual clock set on a past day, and a helper that polls it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from providers.model import AgentStatus, Snapshot
from providers.registry import provider_class
from providers.sim.engine import ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from providers.simulators import start_simulator
from tests.conftest import Sim
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import PollResult, poll_once

# 08:00 in Prague on a Tuesday long past, so "today" never clips the simulated day.
DAY_START = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
BUSY = {
    "agents": 12,
    "queues": 3,
    "seed": 5,
    "calls_per_min_per_queue": 4.0,
    "avg_talk_s": 40,
    "pause_rate_per_hour": 6.0,
    "avg_pause_s": 60,
}


@pytest.fixture
def past_sim() -> Iterator[Callable[..., Sim]]:
    servers: list[SimulatorServer] = []

    def start(vendor: str = "daktela", start: datetime = DAY_START, **config: Any) -> Sim:
        clock = ManualClock(start)
        server, engine = start_simulator(vendor, SimConfig(**{**BUSY, **config}), clock=clock)
        servers.append(server)
        return Sim(vendor, server, engine, clock)

    yield start
    for server in servers:
        server.stop()


@dataclass
class Run:
    """What the simulator said at each poll (its ground truth), for checking reports."""

    truths: list[Snapshot] = field(default_factory=list)
    results: list[PollResult] = field(default_factory=list)

    def statuses(self, i: int) -> dict[str, tuple[AgentStatus, str | None]]:
        return {a.id: (a.status, a.pause_reason) for a in self.truths[i].agents}


def run_polls(
    sim: Sim, account: ProviderAccount, *, polls: int, every_s: int, run: Run | None = None
) -> Run:
    """Poll, then advance the clock, ``polls`` times; record the truth at each poll.

    The adapter reads the simulator's clock, so the snapshot times are simulated times.
    """
    run = run or Run()
    provider = provider_class(account.vendor)(account.config(), clock=sim.clock.now)  # type: ignore[call-arg]
    try:
        for _ in range(polls):
            result = poll_once(account, on_commit=ignore, provider=provider)
            assert result.ok, result.error
            run.results.append(result)
            run.truths.append(sim.engine.truth())
            sim.advance(every_s)
    finally:
        provider.close()
    return run
