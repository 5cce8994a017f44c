"""Agent status spans: contiguous, never overlapping; what a provider outage does to them."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest

from providers.model import AgentStatus
from providers.registry import provider_class
from tests.conftest import Sim, make_account
from tests.wallboard.reports.conftest import DAY_START, run_polls
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.models import Agent, AgentStatusSpan, PollLog, ProviderAccount
from wallboard.monitoring.poll import poll_once
from wallboard.reports.queries import agent_history, outages

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

QUIET = {"calls_per_min_per_queue": 0.0, "pause_rate_per_hour": 0.0}


def test_spans_are_contiguous_and_never_overlap(past_sim: Callable[..., Sim]) -> None:
    sim = past_sim(calls_per_min_per_queue=8.0)
    account = make_account(sim)
    run_polls(sim, account, polls=60, every_s=2)

    checked = 0
    for agent in Agent.objects.filter(account=account):
        spans = list(AgentStatusSpan.objects.filter(agent=agent).order_by("started_at", "pk"))
        assert spans
        assert [s.ended_at is None for s in spans] == [False] * (len(spans) - 1) + [True]
        for before, after in itertools.pairwise(spans):
            assert before.ended_at == after.started_at
            assert before.started_at <= before.ended_at
            assert (before.status, before.pause_reason) != (after.status, after.pause_reason)
        checked += len(spans)
    assert checked > 3 * Agent.objects.filter(account=account).count()


def test_an_outage_closes_nothing_and_the_span_continues(past_sim: Callable[..., Sim]) -> None:
    sim = past_sim(**QUIET)
    sim.advance(4 * 3600)
    engine = sim.engine
    account = make_account(sim)
    provider = provider_class("daktela")(account.config(), clock=sim.clock.now)  # type: ignore[call-arg]
    try:
        assert poll_once(account, on_commit=ignore, provider=provider).ok
        idle = [a.id for a in engine.truth().agents if a.status is AgentStatus.IDLE]
        moved, kept = idle[0], idle[1]
        before = {
            s.agent.vendor_id: (s.pk, s.status, s.started_at)
            for s in AgentStatusSpan.objects.filter(ended_at__isnull=True).select_related("agent")
        }
        rows = AgentStatusSpan.objects.count()

        sim.server.faults.status = 500
        sim.advance(30)
        assert not poll_once(account, on_commit=ignore, provider=provider).ok
        sim.advance(20)
        engine.set_status(moved, AgentStatus.PAUSED, pause_id="7")  # during the outage
        paused_at = sim.clock.now()
        for _ in range(3):
            sim.advance(30)
            assert not poll_once(account, on_commit=ignore, provider=provider).ok
        # Nothing was closed or opened while the provider was unreachable.
        assert AgentStatusSpan.objects.count() == rows
        assert AgentStatusSpan.objects.filter(ended_at__isnull=True).count() == len(before)

        sim.server.faults.clear()
        sim.advance(5)
        assert poll_once(account, on_commit=ignore, provider=provider).ok
    finally:
        provider.close()

    # The span of the agent who did not change simply continues through the outage.
    still = AgentStatusSpan.objects.get(agent__vendor_id=kept, ended_at__isnull=True)
    assert (still.pk, still.status, still.started_at) == before[kept]
    # The agent who changed during the outage: the old span ends when the vendor says the
    # new status began, not when we could poll again; one new span, no gap, no overlap.
    spans = list(AgentStatusSpan.objects.filter(agent__vendor_id=moved).order_by("started_at"))
    assert [s.status for s in spans[-2:]] == [AgentStatus.IDLE, AgentStatus.PAUSED]
    assert spans[-2].pk == before[moved][0]
    assert spans[-2].ended_at == spans[-1].started_at == paused_at
    assert AgentStatusSpan.objects.count() == rows + 1


def test_outages_are_read_from_the_poll_log() -> None:
    account = ProviderAccount.objects.create(
        name="Main", vendor="daktela", base_url="http://127.0.0.1:9"
    )
    t = DAY_START
    log = [(-30, False), (10, True), (20, False), (21, False), (25, True), (50, False)]
    for minutes, ok in log:
        PollLog.objects.create(
            account=account, started_at=t + timedelta(minutes=minutes), duration_ms=1, ok=ok
        )
    found = outages(account, t, t + timedelta(hours=1))
    assert found == [
        (t, t + timedelta(minutes=10)),
        (t + timedelta(minutes=20), t + timedelta(minutes=25)),
        (t + timedelta(minutes=50), t + timedelta(hours=1)),
    ]


def test_overlapping_rows_are_never_counted_twice() -> None:
    account = ProviderAccount.objects.create(
        name="Main", vendor="daktela", base_url="http://127.0.0.1:9"
    )
    agent = Agent.objects.create(account=account, vendor_id="1", name="Jan", status="IDLE")
    t = DAY_START
    for start, end, status in [(0, 600, "IDLE"), (300, 900, "TALKING"), (900, None, "PAUSED")]:
        AgentStatusSpan.objects.create(
            agent=agent,
            status=status,
            started_at=t + timedelta(seconds=start),
            ended_at=None if end is None else t + timedelta(seconds=end),
        )
    (day,) = agent_history(account, t, t + timedelta(seconds=1000))
    assert day.logged_in_s == 1000
    assert day.by_category == {"ready": 600, "talking": 300, "paused": 100}
