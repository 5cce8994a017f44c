"""Each account's day: its own time zone and the local time its day starts at."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from wallboard.monitoring.models import Agent, AgentStatusSpan, ProviderAccount
from wallboard.reports.days import day_bounds, day_of
from wallboard.reports.queries import agent_history


def _account(zone: str = "Europe/Prague", starts: time = time(0, 0)) -> ProviderAccount:
    return ProviderAccount(name="Main", vendor="daktela", time_zone=zone, day_starts_at=starts)


def test_a_prague_day_is_not_the_utc_day() -> None:
    start, end = day_bounds(_account(), date(2026, 11, 22))
    assert start == datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    # 23:30 UTC on the 21st is already the 22nd in Prague.
    assert day_of(_account(), datetime(2026, 11, 21, 23, 30, tzinfo=UTC)) == date(2026, 11, 22)
    assert day_of(_account("UTC"), datetime(2026, 11, 21, 23, 30, tzinfo=UTC)) == date(2026, 11, 21)


def test_a_day_that_starts_at_six_in_the_morning() -> None:
    night_shift = _account("America/New_York", time(6, 0))
    start, end = day_bounds(night_shift, date(2026, 11, 22))
    assert start == datetime(2026, 11, 22, 11, 0, tzinfo=UTC)  # 06:00 EST
    assert end - start == timedelta(hours=24)
    # 03:00 local on the 23rd still belongs to the 22nd.
    assert day_of(night_shift, datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) == date(2026, 11, 22)
    assert day_of(night_shift, datetime(2026, 11, 23, 11, 0, tzinfo=UTC)) == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)],
)
def test_daylight_saving_days_last_23_or_25_hours(day: date, hours: int) -> None:
    start, end = day_bounds(_account(), day)
    assert end - start == timedelta(hours=hours)


@pytest.mark.django_db
def test_a_span_across_local_midnight_is_split_between_the_two_days() -> None:
    account = _account()
    account.base_url = "http://127.0.0.1:9"
    account.save()
    agent = Agent.objects.create(account=account, vendor_id="1", name="Jan", status="IDLE")
    # 22:30 to 23:30 UTC on 21 Nov = 23:30 to 00:30 in Prague.
    AgentStatusSpan.objects.create(
        agent=agent,
        status="TALKING",
        started_at=datetime(2026, 11, 21, 22, 30, tzinfo=UTC),
        ended_at=datetime(2026, 11, 21, 23, 30, tzinfo=UTC),
    )
    AgentStatusSpan.objects.create(
        agent=agent, status="IDLE", started_at=datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    )
    first = agent_history(account, *day_bounds(account, date(2026, 11, 21)))[0]
    assert first.by_category == {"talking": 1800}
    second_start, _ = day_bounds(account, date(2026, 11, 22))
    until = second_start + timedelta(hours=2)
    second = agent_history(account, second_start, until)[0]
    assert second.by_category == {"talking": 1800, "ready": 5400}
    assert second.logged_in_s == 7200
    assert second.calls_seen == 0  # that call began the day before
    assert first.calls_seen == 1
