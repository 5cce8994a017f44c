"""Pruning removes exactly what is past retention, in batches; --dry-run deletes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from wallboard.monitoring.models import (
    Agent,
    AgentStatusSpan,
    PollLog,
    ProviderAccount,
    Queue,
    QueueSample,
)
from wallboard.reports.prune import prune_history
from wallboard.reports.tasks import prune_history as prune_task

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=30)


def _at(days: float) -> datetime:
    """``days`` relative to the cutoff."""
    return CUTOFF + timedelta(days=days)


@pytest.fixture
def history() -> dict[str, set[int]]:
    """Rows on both sides of the cutoff; returns the ids that must survive."""
    account = ProviderAccount.objects.create(name="Main", vendor="daktela", base_url="http://x")
    agent = Agent.objects.create(account=account, vendor_id="1", name="Jan", status="IDLE")
    other = Agent.objects.create(account=account, vendor_id="2", name="Eva", status="IDLE")
    keep: dict[str, set[int]] = {"spans": set(), "samples": set(), "polls": set()}

    def span(agent: Agent, start: float, end: float | None, kept: bool) -> None:
        row = AgentStatusSpan.objects.create(
            agent=agent,
            status="IDLE",
            started_at=_at(start),
            ended_at=None if end is None else _at(end),
        )
        if kept:
            keep["spans"].add(row.pk)

    for i in range(7):  # old, closed well before the cutoff
        span(agent, -10 + i, -9.5 + i, kept=False)
    span(agent, -2, 0, kept=False)  # ends exactly at the cutoff: describes nothing after it
    span(other, 0, 0, kept=False)  # an instant at the cutoff: nothing after it either
    span(agent, 0, 0.5, kept=True)  # starts at the cutoff
    span(agent, 0.5, None, kept=True)
    span(other, -40, -1, kept=False)
    span(other, -1, 1, kept=True)  # straddles the cutoff
    span(other, 1, None, kept=True)
    lonely = Agent.objects.create(account=account, vendor_id="3", name="Old", status="OFFLINE")
    span(lonely, -60, None, kept=True)  # open for two months: still the current status

    busy = Queue.objects.create(account=account, vendor_id="1", name="Support")
    quiet = Queue.objects.create(account=account, vendor_id="2", name="Sales")

    def sample(queue: Queue, days: float, kept: bool) -> None:
        row = QueueSample.objects.create(queue=queue, taken_at=_at(days), calls_waiting=1)
        if kept:
            keep["samples"].add(row.pk)

    for i in range(6):
        sample(busy, -8 + i, kept=False)
    sample(busy, -1, kept=True)  # the figures in force at the cutoff
    sample(busy, 0.1, kept=True)
    sample(quiet, -50, kept=False)
    sample(quiet, -20, kept=True)  # the quiet queue's last figures: still in force
    for days, kept in [(-3, False), (-0.1, False), (0, True), (2, True)]:
        row = PollLog.objects.create(account=account, started_at=_at(days), duration_ms=1, ok=False)
        if kept:
            keep["polls"].add(row.pk)
    return keep


def _left() -> dict[str, set[int]]:
    return {
        "spans": set(AgentStatusSpan.objects.values_list("pk", flat=True)),
        "samples": set(QueueSample.objects.values_list("pk", flat=True)),
        "polls": set(PollLog.objects.values_list("pk", flat=True)),
    }


def test_pruning_removes_exactly_what_is_past_retention(history: dict[str, set[int]]) -> None:
    everything = _left()
    dry = prune_history(now=NOW, retention_days=30, dry_run=True)
    assert _left() == everything
    expected = {name: len(everything[name] - history[name]) for name in everything}
    assert dry.deleted == expected

    result = prune_history(now=NOW, retention_days=30, batch_size=3)

    assert result.cutoff == CUTOFF
    assert _left() == history
    assert result.deleted == expected
    assert len(result.batch_ms) >= 1 + 9 // 3  # the spans alone take several batches
    assert prune_history(now=NOW, retention_days=30).total == 0


def test_the_command_and_the_beat_task(history: dict[str, set[int]]) -> None:
    out = StringIO()
    call_command("prune_history", "--dry-run", stdout=out)
    assert "would delete" in out.getvalue()
    everything = _left()
    assert sum(len(ids) for ids in everything.values()) > 0
    # With the default 90-day retention from the real clock these 2026 rows are
    # all still young or already expired; the command and the task agree either way.
    expected = prune_history(dry_run=True).total
    assert prune_task() == expected
    out = StringIO()
    call_command("prune_history", "--retention-days", "1", "--batch-size", "2", stdout=out)
    assert "deleted" in out.getvalue()
    assert "batches" in out.getvalue()
