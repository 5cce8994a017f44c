"""The last 15 minutes' workload of each queue, from queue samples stored in PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wallboard.monitoring.models import ProviderAccount, Queue, QueueSample
from wallboard.reports.erlang import agents_needed
from wallboard.reports.forecast import arrivals, workloads

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def _queue(name: str, avg_talk_s: int | None = 180) -> Queue:
    account, _ = ProviderAccount.objects.get_or_create(
        name="Centre", vendor="daktela", base_url="http://pbx.example"
    )
    return Queue.objects.create(account=account, vendor_id=name, name=name, avg_talk_s=avg_talk_s)


def _sample(
    queue: Queue, minutes_ago: float, answered: int | None, abandoned: int | None, waiting: int = 0
) -> None:
    QueueSample.objects.create(
        queue=queue,
        taken_at=NOW - timedelta(minutes=minutes_ago),
        answered=answered,
        abandoned=abandoned,
        calls_waiting=waiting,
    )


def test_arrivals_count_what_the_offered_calls_grew_by_since_the_window_began() -> None:
    queue = _queue("sales")
    _sample(queue, 40, answered=100, abandoned=5)  # older than the baseline: not read
    _sample(queue, 20, answered=150, abandoned=8, waiting=2)  # the baseline: 160 offered
    _sample(queue, 10, answered=170, abandoned=9, waiting=4)  # 183
    _sample(queue, 1, answered=200, abandoned=10, waiting=0)  # 210
    _sample(queue, -1, answered=999, abandoned=99)  # after "now": not read

    assert arrivals([queue.pk], NOW) == {queue.pk: (50, 900.0)}
    # 50 calls of 180 s in 15 minutes: the textbook's 10 Erlangs, 14 agents for 80 % in 20 s.
    workload = workloads([queue], NOW)[queue.pk]
    assert workload.erlangs == pytest.approx(10.0)
    assert agents_needed(workload, 0.8, 20) == 14


def test_a_counter_reset_starts_counting_afresh() -> None:
    queue = _queue("support")
    _sample(queue, 16, answered=400, abandoned=20)
    _sample(queue, 8, answered=410, abandoned=20)  # +10
    _sample(queue, 4, answered=300, abandoned=1)  # a restart: not 301 new calls
    _sample(queue, 2, answered=306, abandoned=1)  # +6

    assert arrivals([queue.pk], NOW)[queue.pk] == (16, 900.0)


def test_history_that_starts_inside_the_window_covers_only_its_own_span() -> None:
    queue = _queue("new")
    _sample(queue, 5, answered=0, abandoned=0)
    _sample(queue, 0, answered=12, abandoned=3)

    assert arrivals([queue.pk], NOW) == {queue.pk: (15, 300.0)}


def test_too_little_data_gives_no_workload() -> None:
    quiet = _queue("quiet")  # no sample at all in the window
    _sample(quiet, 30, answered=10, abandoned=0)
    uncounted = _queue("uncounted")  # the vendor gives no counters
    _sample(uncounted, 10, answered=None, abandoned=None, waiting=3)
    _sample(uncounted, 5, answered=None, abandoned=None, waiting=1)
    untimed = _queue("untimed", avg_talk_s=None)  # calls, but no handle time
    _sample(untimed, 10, answered=0, abandoned=0)
    _sample(untimed, 5, answered=30, abandoned=0)

    found = workloads([quiet, uncounted, untimed], NOW)
    assert arrivals([quiet.pk, uncounted.pk], NOW) == {}
    assert not found[quiet.pk].defined
    assert not found[uncounted.pk].defined
    assert not found[untimed.pk].defined
    assert found[untimed.pk].arrivals_per_s == pytest.approx(30 / 600)
