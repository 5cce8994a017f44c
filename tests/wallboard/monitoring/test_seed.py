"""Seven simulated days written before an account's live history (``seed_history``).

Each vendor's simulator (the demo's size and busy load) is polled once over real HTTP, as
the demo does; then the week before is seeded from a second engine with the same config,
and the reports page's own queries must show it, with the live history untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.conf import settings

from providers.model import AgentStatus
from providers.registry import provider_class
from providers.sim.engine import LOADS
from providers.sim.history import HistoryEvent, QueueFigures, StatusChange, simulate_history
from providers.simulators import SIMULATORS
from tests.conftest import Sim, make_account
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.models import Agent, AgentStatusSpan, ProviderAccount, Queue, QueueSample
from wallboard.monitoring.poll import poll_once
from wallboard.monitoring.seed import Seeded, seed_history
from wallboard.reports.days import day_bounds, day_of
from wallboard.reports.queries import agent_history, queue_history

pytestmark = [pytest.mark.services, pytest.mark.django_db]

DAYS = 7
START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # the start_sim fixture's clock


def _poll(sim: Sim, account: ProviderAccount) -> None:
    provider = provider_class(account.vendor)(account.config(), clock=sim.clock.now)
    try:
        result = poll_once(account, on_commit=ignore, provider=provider)
    finally:
        provider.close()
    assert result.ok, result.error


def _live(start_sim: Callable[..., Sim], vendor: str) -> tuple[Sim, ProviderAccount]:
    """The demo's simulator (24 agents, 4 queues, busy, its busy hour beginning at start),
    polled once."""
    sim = start_sim(vendor, agents=24, queues=4, seed=7, load=LOADS["busy"], busy_hour_at=START)
    assert sim.clock.now() == START
    account = make_account(sim)
    _poll(sim, account)
    return sim, account


def _seed(sim: Sim, account: ProviderAccount, days: float = DAYS) -> tuple[int, int]:
    spec = SIMULATORS[sim.vendor]
    until = sim.clock.now()
    events = simulate_history(
        sim.engine.config,
        until - timedelta(days=days),
        until,
        agent_id=spec.agent_id,
        queue_id=spec.queue_id,
        agent_view=spec.agent_view,
        sample_every_s=settings.QUEUE_SAMPLE_MIN_SPACING_S,
    )
    seeded = seed_history(account, events)
    return seeded.spans, seeded.samples


def _spans_by_agent(account: ProviderAccount) -> dict[int, list[AgentStatusSpan]]:
    spans: dict[int, list[AgentStatusSpan]] = {}
    for span in AgentStatusSpan.objects.filter(agent__account=account).order_by(
        "agent_id", "started_at", "pk"
    ):
        spans.setdefault(span.agent_id, []).append(span)
    return spans


def _assert_history_is_consistent(account: ProviderAccount) -> None:
    spans = _spans_by_agent(account)
    for agent in Agent.objects.filter(account=account):
        mine = spans[agent.pk]
        for before, after in pairwise(mine):
            assert before.ended_at is not None, f"{agent.name}: only the newest span is open"
            assert before.started_at <= before.ended_at <= after.started_at, (before, after)
        newest = mine[-1]
        assert newest.ended_at is None
        assert (newest.status, newest.pause_reason) == (agent.status, agent.pause_reason)
    spacing = timedelta(seconds=settings.QUEUE_SAMPLE_MIN_SPACING_S)
    for queue in Queue.objects.filter(account=account):
        taken = list(
            QueueSample.objects.filter(queue=queue)
            .order_by("taken_at")
            .values_list("taken_at", flat=True)
        )
        assert all(b - a >= spacing for a, b in pairwise(taken)), queue.name


@pytest.mark.parametrize("vendor", sorted(SIMULATORS))
def test_a_seeded_week_shows_on_every_day_of_the_reports(
    start_sim: Callable[..., Sim], vendor: str
) -> None:
    sim, account = _live(start_sim, vendor)
    live_spans = {s.pk: (s.started_at, s.ended_at) for s in AgentStatusSpan.objects.all()}
    live_samples = set(QueueSample.objects.values_list("pk", "taken_at", "calls_waiting"))

    spans, samples = _seed(sim, account)

    assert spans > 1000
    assert samples > 1000
    kept = {
        s.pk: (s.started_at, s.ended_at) for s in AgentStatusSpan.objects.filter(pk__in=live_spans)
    }
    assert kept == live_spans, "the live spans are untouched"
    assert live_samples <= set(QueueSample.objects.values_list("pk", "taken_at", "calls_waiting"))
    _assert_history_is_consistent(account)

    today = day_of(account, sim.clock.now())
    logged_in = Agent.objects.filter(account=account).exclude(status=AgentStatus.OFFLINE)
    for back in range(1, DAYS):
        start, end = day_bounds(account, today - timedelta(days=back))
        queue_days = queue_history(account, start, end)
        assert len(queue_days) == 4
        for queue_day in queue_days:
            assert len(queue_day.samples) > 100, (back, queue_day.queue.name)
            assert queue_day.peak_waiting, (back, queue_day.queue.name)
        agent_days = agent_history(account, start, end)
        assert {day.agent.pk for day in agent_days} >= {a.pk for a in logged_in}
        for agent_day in agent_days:
            assert agent_day.logged_in_s > 0
            assert agent_day.calls_seen > 0 or agent_day.category("paused") > 0


def test_seeded_figures_are_only_those_the_vendor_reports(
    start_sim: Callable[..., Sim],
) -> None:
    daktela, daktela_account = _live(start_sim, "daktela")
    spikon, spikon_account = _live(start_sim, "spikon")
    _seed(daktela, daktela_account, days=1)
    _seed(spikon, spikon_account, days=1)
    # Daktela reports no answered / abandoned / service level: neither does its history.
    dakt = QueueSample.objects.filter(queue__account=daktela_account)
    assert not dakt.exclude(answered=None, abandoned=None, service_level_pct=None).exists()
    spik = QueueSample.objects.filter(queue__account=spikon_account)
    assert spik.exclude(service_level_pct=None).count() > 500
    # SPIKON shows no wrap-up and no pause reasons; Daktela shows both.
    spikon_spans = AgentStatusSpan.objects.filter(agent__account=spikon_account)
    assert not spikon_spans.filter(status=AgentStatus.WRAP_UP).exists()
    assert not spikon_spans.exclude(pause_reason="").exists()
    assert spikon_spans.filter(status=AgentStatus.PAUSED).exists()
    daktela_spans = AgentStatusSpan.objects.filter(agent__account=daktela_account)
    assert daktela_spans.filter(status=AgentStatus.WRAP_UP, pause_reason="Wrap").exists()
    assert daktela_spans.filter(status=AgentStatus.PAUSED, pause_reason="Lunch").exists()
    # The store keeps no longest wait while nobody waits.
    for samples in (dakt, spik):
        assert not samples.filter(calls_waiting=0).exclude(longest_wait_s=None).exists()
        assert samples.filter(calls_waiting__gt=0, longest_wait_s__gt=0).exists()


def test_live_polling_carries_on_after_the_seeded_week(start_sim: Callable[..., Sim]) -> None:
    sim, account = _live(start_sim, "voipsun")
    _seed(sim, account, days=1)
    for _ in range(10):
        sim.advance(3)
        _poll(sim, account)
    _assert_history_is_consistent(account)


def test_seeding_again_adds_only_what_is_older_than_the_stored_history(
    start_sim: Callable[..., Sim],
) -> None:
    sim, account = _live(start_sim, "daktela")
    until = sim.clock.now()
    config = sim.engine.config
    assert seed_history(account, simulate_history(config, until - timedelta(days=1), until)).spans
    before = {s.pk: s.agent_id for s in AgentStatusSpan.objects.filter(agent__account=account)}
    earliest = {
        agent_id: AgentStatusSpan.objects.filter(agent_id=agent_id).earliest("started_at")
        for agent_id in set(before.values())
    }

    # A demo started again over its own database: the same window adds nothing.
    same = simulate_history(config, until - timedelta(days=1), until)
    assert seed_history(account, same) == Seeded(spans=0, samples=0)

    again = seed_history(account, simulate_history(config, until - timedelta(days=2), until))

    assert again.spans > 0
    added = AgentStatusSpan.objects.filter(agent__account=account).exclude(pk__in=before)
    assert added.count() == again.spans
    for span in added:
        assert span.ended_at is not None
        assert span.ended_at <= earliest[span.agent_id].started_at
    _assert_history_is_consistent(account)


def test_events_for_unknown_agents_and_queues_are_skipped(
    start_sim: Callable[..., Sim],
) -> None:
    sim, account = _live(start_sim, "daktela")
    at = sim.clock.now() - timedelta(hours=2)
    events: list[HistoryEvent] = [
        StatusChange("no-such-agent", AgentStatus.IDLE, None, at),
        QueueFigures("no-such-queue", at, 3, 40, 1, 2, 0, 90.0, 10, 1),
    ]
    assert seed_history(account, events) == Seeded(spans=0, samples=0)
    _assert_history_is_consistent(account)
