"""A day's history through the API: every status span and queue sample of the day in the
caller's scope (and the one each agent and queue began the day in), paginated."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from providers.model import AgentStatus
from tests.wallboard.api.conftest import CallCenter, Person
from wallboard.accounts.access import Scope
from wallboard.monitoring.models import AgentStatusSpan, QueueSample
from wallboard.reports.days import day_bounds, day_of

pytestmark = [pytest.mark.services, pytest.mark.django_db]

SUPERVISING = ("admin", "supervisor", "scoped")


def _all(someone: Person, path: str, **query: Any) -> list[dict[str, Any]]:
    """Every item, read in pages of 7 (a page boundary inside every day here)."""
    found: list[dict[str, Any]] = []
    while True:
        response = someone.get(path, {**query, "limit": 7, "offset": len(found)})
        assert response.status_code == 200, response.content
        body = response.json()
        found += body["items"]
        if not body["items"]:
            assert body["count"] == len(found)
            return found


def _window(center: CallCenter, day: date) -> tuple[datetime, datetime]:
    start, end = day_bounds(center.account, day)
    return start, min(end, timezone.now())


@pytest.fixture
def yesterday(center: CallCenter) -> date:
    """Yesterday's history, written as the poller writes it: spans that cross midnight,
    one that began the day before, samples before and during the day."""
    today = day_of(center.account, timezone.now())
    day = today - timedelta(days=1)
    start, end = day_bounds(center.account, day)
    zeman, novak = center.agent("zeman"), center.agent("novak")
    # Theirs alone, one after the other, as the poller keeps them.
    AgentStatusSpan.objects.filter(agent__in=[zeman, novak]).delete()
    spans = [
        (zeman, AgentStatus.OFFLINE, start - timedelta(days=2), start - timedelta(hours=1)),
        (zeman, AgentStatus.IDLE, start - timedelta(hours=1), start + timedelta(hours=8)),
        (zeman, AgentStatus.PAUSED, start + timedelta(hours=8), start + timedelta(hours=9)),
        (zeman, AgentStatus.TALKING, start + timedelta(hours=9), end + timedelta(hours=1)),
        (novak, AgentStatus.IDLE, start + timedelta(hours=7), start + timedelta(hours=10)),
        (novak, AgentStatus.OFFLINE, end, end + timedelta(hours=2)),  # tomorrow: not shown
    ]
    for agent, status, began, ended in spans:
        AgentStatusSpan.objects.create(
            agent=agent, status=status, pause_reason="", started_at=began, ended_at=ended
        )
    for queue in (center.support, center.billing):
        for at in (
            start - timedelta(hours=3),
            start + timedelta(hours=9),
            end - timedelta(seconds=1),
        ):
            QueueSample.objects.create(queue=queue, taken_at=at, calls_waiting=at.hour)
    return day


def _expected_spans(center: CallCenter, role: str, day: date) -> list[int]:
    """Said plainly over every row: the spans of the agents in scope that overlap the day,
    with the one an agent was in when it began."""
    start, until = _window(center, day)
    scope = Scope.of(center.people[role].user)
    spans = AgentStatusSpan.objects.filter(agent__in=scope.agents(center.account))
    return [
        s.pk
        for s in spans.order_by("started_at", "pk")
        if s.started_at < until and (s.ended_at is None or s.ended_at > start)
    ]


def _expected_samples(center: CallCenter, role: str, day: date) -> list[int]:
    start, until = _window(center, day)
    scope = Scope.of(center.people[role].user)
    found = []
    for queue in scope.queues(center.account):
        samples = list(QueueSample.objects.filter(queue=queue).order_by("taken_at", "pk"))
        before = [s for s in samples if s.taken_at < start][-1:]
        found += before + [s for s in samples if start <= s.taken_at < until]
    return [s.pk for s in sorted(found, key=lambda s: (s.taken_at, s.pk))]


@pytest.mark.parametrize("role", SUPERVISING)
def test_the_spans_of_a_day_are_those_of_the_scope(
    center: CallCenter, yesterday: date, role: str
) -> None:
    someone = center.people[role]
    path = f"/api/v1/accounts/{center.account.pk}/history/agent-spans"
    for day in (yesterday, yesterday + timedelta(days=1)):
        spans = _all(someone, path, day=day.isoformat())
        assert [s["id"] for s in spans] == _expected_spans(center, role, day)
    today = _all(someone, path)
    assert [s["id"] for s in today] == _expected_spans(center, role, yesterday + timedelta(days=1))
    shown = {s["agent_id"] for s in spans}
    scope = Scope.of(someone.user)
    assert shown <= set(scope.agents(center.account).values_list("pk", flat=True))
    novak = center.agent("novak").pk
    assert (novak in {s["agent_id"] for s in _all(someone, path, day=yesterday.isoformat())}) == (
        role != "scoped"
    )


def test_a_span_reads_as_stored(center: CallCenter, yesterday: date) -> None:
    admin = center.people["admin"]
    zeman = center.agent("zeman")
    path = f"/api/v1/accounts/{center.account.pk}/history/agent-spans"
    spans = _all(admin, path, day=yesterday.isoformat(), agent=zeman.pk)
    stored = AgentStatusSpan.objects.filter(agent=zeman, status=AgentStatus.PAUSED).get()
    (paused,) = [s for s in spans if s["status"] == "PAUSED"]
    assert paused == {
        "id": stored.pk,
        "agent_id": zeman.pk,
        "status": "PAUSED",
        "pause_reason": "",
        "started_at": paused["started_at"],
        "ended_at": paused["ended_at"],
    }
    assert parse_datetime(paused["started_at"]) == stored.started_at
    assert parse_datetime(paused["ended_at"]) == stored.ended_at
    assert [s["status"] for s in spans] == ["IDLE", "PAUSED", "TALKING"]
    assert {s["agent_id"] for s in spans} == {zeman.pk}


@pytest.mark.parametrize("role", SUPERVISING)
def test_the_samples_of_a_day_are_those_of_the_scope(
    center: CallCenter, yesterday: date, role: str
) -> None:
    someone = center.people[role]
    path = f"/api/v1/accounts/{center.account.pk}/history/queue-samples"
    for day in (yesterday, yesterday + timedelta(days=1)):
        samples = _all(someone, path, day=day.isoformat())
        assert [s["id"] for s in samples] == _expected_samples(center, role, day)
        assert samples
    only_support = _all(someone, path, day=yesterday.isoformat(), queue=center.support.pk)
    assert {s["queue_id"] for s in only_support} == {center.support.pk}
    assert len(only_support) == 3  # the one before the day, and two inside


def test_a_queue_or_agent_out_of_scope_is_not_found(center: CallCenter) -> None:
    scoped = center.people["scoped"]
    base = f"/api/v1/accounts/{center.account.pk}/history"
    response = scoped.get(f"{base}/queue-samples", {"queue": center.billing.pk})
    assert response.status_code == 404
    response = scoped.get(f"{base}/agent-spans", {"agent": center.agent("novak").pk})
    assert response.status_code == 404
    assert scoped.get(f"/api/v1/accounts/{center.other.pk}/history/agent-spans").status_code == 404


def test_pages_are_at_most_the_limit_and_count_everything(
    center: CallCenter, yesterday: date
) -> None:
    admin = center.people["admin"]
    path = f"/api/v1/accounts/{center.account.pk}/history/agent-spans"
    every = _expected_spans(center, "admin", yesterday)
    assert len(every) > 3
    first = admin.get(path, {"day": yesterday.isoformat(), "limit": 3}).json()
    assert first["count"] == len(every)
    assert [s["id"] for s in first["items"]] == every[:3]
    beyond = admin.get(path, {"day": yesterday.isoformat(), "offset": len(every) + 50}).json()
    assert beyond == {"items": [], "count": len(every)}
    assert len(admin.get(path, {"day": yesterday.isoformat()}).json()["items"]) == min(
        100, len(every)
    )
