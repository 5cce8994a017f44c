"""Simulated history from the engine, run fast over past days (``providers.sim.history``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from providers.model import AgentStatus
from providers.sim.engine import LOADS, CallCenter, ManualClock, SimConfig
from providers.sim.history import HistoryEvent, QueueFigures, StatusChange, simulate_history
from providers.simulators import SIMULATORS

UNTIL = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)
CONFIG = SimConfig(agents=24, queues=4, seed=7, load=LOADS["busy"], busy_hour_at=UNTIL)


def _history(days: float = 2, sample_every_s: int = 30) -> list[HistoryEvent]:
    start = UNTIL - timedelta(days=days)
    return list(simulate_history(CONFIG, start, UNTIL, sample_every_s=sample_every_s))


def test_the_same_config_gives_the_same_history() -> None:
    assert _history(0.5) == _history(0.5)
    other = SimConfig(agents=24, queues=4, seed=8, load=LOADS["busy"], busy_hour_at=UNTIL)
    assert _history(0.5) != list(simulate_history(other, UNTIL - timedelta(days=0.5), UNTIL))


def test_events_come_in_time_order_inside_the_window() -> None:
    start = UNTIL - timedelta(days=2)
    events = _history()
    assert all(a.at <= b.at for a, b in pairwise(events))
    changes = [e for e in events if isinstance(e, StatusChange)]
    figures = [e for e in events if isinstance(e, QueueFigures)]
    assert len(changes) > 10_000
    assert len(figures) > 5_000
    assert all(f.at > start and f.at < UNTIL for f in figures)
    opening = changes[: CONFIG.agents]
    assert sorted(c.agent_id for c in opening) == sorted(str(i) for i in range(1, 25))
    assert all(c.at <= start for c in opening), "the status each agent is in as it opens"
    assert all(c.at >= start for c in changes[CONFIG.agents :])


def test_each_agent_moves_through_the_call_flow_and_pauses() -> None:
    changes = [e for e in _history() if isinstance(e, StatusChange)]
    statuses = {c.status for c in changes}
    assert {AgentStatus.RINGING, AgentStatus.TALKING, AgentStatus.WRAP_UP} <= statuses
    assert {AgentStatus.IDLE, AgentStatus.PAUSED} <= statuses
    for change in changes:
        paused = change.status in (AgentStatus.PAUSED, AgentStatus.WRAP_UP)
        assert (change.pause_reason is not None) == paused, change
    by_agent: dict[str, list[StatusChange]] = {}
    for change in changes:
        by_agent.setdefault(change.agent_id, []).append(change)
    for agent_changes in by_agent.values():
        for before, after in pairwise(agent_changes):
            assert (before.status, before.pause_reason) != (after.status, after.pause_reason)


def test_queue_figures_are_sampled_at_most_every_spacing_and_only_when_changed() -> None:
    figures = [e for e in _history(sample_every_s=45) if isinstance(e, QueueFigures)]
    by_queue: dict[str, list[QueueFigures]] = {}
    for f in figures:
        by_queue.setdefault(f.queue_id, []).append(f)
    assert sorted(by_queue) == ["1", "2", "3", "4"]
    for samples in by_queue.values():
        for before, after in pairwise(samples):
            assert after.at - before.at >= timedelta(seconds=45)
            assert (after.at - before.at).total_seconds() % 45 == 0
            assert (before.calls_waiting, before.longest_wait_s, before.agents_ready,
                    before.agents_busy, before.agents_paused, before.service_level_pct,
                    before.answered, before.abandoned) != (
                    after.calls_waiting, after.longest_wait_s, after.agents_ready,
                    after.agents_busy, after.agents_paused, after.service_level_pct,
                    after.answered, after.abandoned)  # fmt: skip
    assert max(f.calls_waiting or 0 for f in figures) >= 4, "the busy days have queues"


def test_the_counters_start_again_at_each_local_midnight() -> None:
    zone = ZoneInfo(CONFIG.time_zone)
    figures = [e for e in _history() if isinstance(e, QueueFigures) and e.queue_id == "1"]
    midnights = 0
    for before, after in pairwise(figures):
        assert before.answered is not None
        assert after.answered is not None
        if before.at.astimezone(zone).date() == after.at.astimezone(zone).date():
            assert after.answered >= before.answered
        else:
            midnights += 1
            assert after.answered < before.answered, "a new day's counters"
    assert midnights == 2


def test_ids_are_the_vendors_and_the_agents_those_of_the_live_engine() -> None:
    live = CallCenter(CONFIG, ManualClock(UNTIL))
    for vendor, spec in SIMULATORS.items():
        events = list(
            simulate_history(
                CONFIG,
                UNTIL - timedelta(hours=2),
                UNTIL,
                agent_id=spec.agent_id,
                queue_id=spec.queue_id,
            )
        )
        agent_ids = {e.agent_id for e in events if isinstance(e, StatusChange)}
        queue_ids = {e.queue_id for e in events if isinstance(e, QueueFigures)}
        assert agent_ids == {spec.agent_id(a) for a in live.agents.values()}, vendor
        assert queue_ids == {spec.queue_id(q) for q in live.queues.values()}, vendor
    assert {spec.queue_id(live.queues["1"]) for spec in SIMULATORS.values()} == {"1", "Fronta1"}


def test_statuses_are_as_the_vendor_shows_them() -> None:
    spikon = SIMULATORS["spikon"]
    events = simulate_history(
        CONFIG, UNTIL - timedelta(hours=6), UNTIL, agent_view=spikon.agent_view
    )
    changes = [e for e in events if isinstance(e, StatusChange)]
    assert {c.status for c in changes} >= {AgentStatus.TALKING, AgentStatus.PAUSED}
    assert AgentStatus.WRAP_UP not in {c.status for c in changes}, "SPIKON has no wrap-up"
    assert {c.pause_reason for c in changes} == {None}, "nor pause reasons"
    by_agent: dict[str, list[StatusChange]] = {}
    for change in changes:
        by_agent.setdefault(change.agent_id, []).append(change)
    for agent_changes in by_agent.values():  # wrap-up then a break is one pause to SPIKON
        assert all(a.status is not b.status for a, b in pairwise(agent_changes))


def test_a_sampling_interval_below_a_second_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 s"):
        next(simulate_history(CONFIG, UNTIL - timedelta(hours=1), UNTIL, sample_every_s=0))
