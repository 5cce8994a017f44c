"""The leaderboard's figures from history: the same calls and talk time as the day's report,
from a simulated day's real spans; a call carried over midnight, a held call; and a vendor
whose history has no calls per agent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from providers.model import AgentStatus
from tests.conftest import Sim, make_account
from tests.wallboard.reports.conftest import run_polls
from wallboard.monitoring.models import Agent, AgentStatusSpan, ProviderAccount
from wallboard.reports.days import day_of
from wallboard.reports.leaderboard import Leader, leaders
from wallboard.reports.queries import build_report


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_leaderboard_counts_as_the_days_report_does(past_sim: Callable[..., Sim]) -> None:
    sim = past_sim(calls_per_min_per_queue=8.0)
    account = make_account(sim)
    run_polls(sim, account, polls=90, every_s=2)
    now = sim.clock.now()

    found = leaders(account, now)
    report = build_report(account, day_of(account, now), now, with_timelines=False)
    expected = sorted(
        (
            Leader(d.agent.pk, d.agent.name, d.calls_seen, d.category("talking"))
            for d in report.agents
            if d.calls_seen or d.category("talking")
        ),
        key=lambda r: (-r.calls, -r.talk_s, r.name, r.agent_pk),
    )
    assert found == expected
    assert sum(r.calls for r in expected) > 5, "a busy simulated day has calls"


# 10 March 2026, 08:00 in Prague.
MORNING = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)


def _span(agent: Agent, status: AgentStatus, start_min: int, end_min: int | None) -> None:
    AgentStatusSpan.objects.create(
        agent=agent,
        status=status.value,
        started_at=MORNING + timedelta(minutes=start_min),
        ended_at=None if end_min is None else MORNING + timedelta(minutes=end_min),
    )


@pytest.fixture
def account() -> ProviderAccount:
    return ProviderAccount.objects.create(
        name="Main", vendor="daktela", base_url="http://x", time_zone="Europe/Prague"
    )


@pytest.mark.django_db
def test_calls_and_talk_time_from_stored_spans(account: ProviderAccount) -> None:
    ann = Agent.objects.create(account=account, vendor_id="1", name="Ann")
    bob = Agent.objects.create(account=account, vendor_id="2", name="Bob")
    cid = Agent.objects.create(account=account, vendor_id="3", name="Cid")
    # Ann: a call from before midnight (07:00 UTC is 08:00 in Prague; the day began at
    # 23:00 UTC) goes on until 08:10: its talk time today counts, not as today's call.
    _span(ann, AgentStatus.TALKING, -9 * 60, 10)
    _span(ann, AgentStatus.IDLE, 10, 20)
    # then one call with a hold in the middle: one call, 15 minutes of talk.
    _span(ann, AgentStatus.TALKING, 20, 25)
    _span(ann, AgentStatus.ON_HOLD, 25, 30)
    _span(ann, AgentStatus.TALKING, 30, 35)
    _span(ann, AgentStatus.IDLE, 35, None)
    # Bob: two calls of 5 minutes, the second still going at 08:50.
    _span(bob, AgentStatus.TALKING, 0, 5)
    _span(bob, AgentStatus.WRAP_UP, 5, 6)
    _span(bob, AgentStatus.TALKING, 45, None)
    # Cid: ready all day.
    _span(cid, AgentStatus.IDLE, -60, None)

    now = MORNING + timedelta(minutes=50)
    assert leaders(account, now) == [
        Leader(bob.pk, "Bob", 2, 10 * 60),
        Leader(ann.pk, "Ann", 1, (8 * 60 + 10) * 60 + 15 * 60),
    ]


@pytest.mark.django_db
def test_no_calls_today_is_an_empty_board_no_calls_ever_is_none(
    account: ProviderAccount,
) -> None:
    ann = Agent.objects.create(account=account, vendor_id="1", name="Ann")
    _span(ann, AgentStatus.IDLE, -60, None)
    now = MORNING + timedelta(minutes=50)
    assert leaders(account, now) is None, "this vendor's history has no calls per agent"
    _span(ann, AgentStatus.TALKING, -3 * 24 * 60, -3 * 24 * 60 + 5)
    assert leaders(account, now) == [], "it has: no one answered a call yet today"
