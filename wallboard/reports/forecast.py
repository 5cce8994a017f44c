"""The workload each queue carried over the last 15 minutes, from history (issue 11 §6).

Arrivals come from the queue samples: a caller offered to the queue is answered, abandons
or is still waiting, so the calls offered are ``answered + abandoned + calls_waiting``, and
the arrivals in the window are how much that sum grew, sample by sample, since the last
sample at or before the window's start. The vendor's counters are day totals: where the sum
drops (a new day, a restarted PBX), counting starts afresh from the new value. The calls
between the reset and that sample (at most one sample spacing's) are missed; counting the
new value instead would add a whole day's calls wherever a counter restarted mid-day.

The handle time is the vendor's average talk time for the queue. Agent talk spans are not
used: an agent serves several queues, and a span does not say for which one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

from wallboard.monitoring.models import Queue, QueueSample
from wallboard.reports.erlang import Workload

WINDOW = timedelta(minutes=15)


def _offered(answered: int | None, abandoned: int | None, waiting: int | None) -> int | None:
    if answered is None and abandoned is None:
        return None  # the vendor does not count its calls
    return (answered or 0) + (abandoned or 0) + (waiting or 0)


def arrivals(queue_ids: Iterable[int], now: datetime) -> dict[int, tuple[int, float]]:
    """Per queue: the calls that arrived in the window ending ``now``, and the seconds of
    history that window covers (less than 15 minutes where history starts inside it).
    Queues without counters in the window are missing. Two queries."""
    ids = list(queue_ids)
    start = now - WINDOW
    columns = ("queue_id", "taken_at", "answered", "abandoned", "calls_waiting")
    # The newest sample at or before the start, one index probe per queue (no DISTINCT ON:
    # the embedded demo runs on SQLite).
    newest_before = (
        QueueSample.objects.filter(queue=OuterRef("pk"), taken_at__lte=start)
        .order_by("-taken_at", "-pk")
        .values("pk")[:1]
    )
    baseline = QueueSample.objects.filter(
        pk__in=Queue.objects.filter(pk__in=ids).values(sample=Subquery(newest_before))
    ).values_list(*columns)
    window = (
        QueueSample.objects.filter(queue_id__in=ids, taken_at__gt=start, taken_at__lte=now)
        .order_by("queue_id", "taken_at")
        .values_list(*columns)
    )
    previous: dict[int, int | None] = {}
    since: dict[int, datetime] = {}
    for queue_id, _taken_at, answered, abandoned, waiting in baseline:
        previous[queue_id] = _offered(answered, abandoned, waiting)
        since[queue_id] = start
    calls: dict[int, int] = {}
    for queue_id, taken_at, answered, abandoned, waiting in window:
        offered = _offered(answered, abandoned, waiting)
        since.setdefault(queue_id, taken_at)
        before = previous.get(queue_id)
        previous[queue_id] = offered
        if offered is None:
            continue
        counted = calls.setdefault(queue_id, 0)
        if before is not None:
            calls[queue_id] = counted + max(0, offered - before)
    return {
        queue_id: (count, (now - since[queue_id]).total_seconds())
        for queue_id, count in calls.items()
    }


def workloads(queues: Iterable[Queue], now: datetime) -> dict[int, Workload]:
    """Every queue's workload over the last 15 minutes; undefined (``Workload.defined`` is
    false) where there were no arrivals or the vendor gives no handle time."""
    rows = list(queues)
    seen = arrivals((q.pk for q in rows), now)
    result = {}
    for queue in rows:
        count, window_s = seen.get(queue.pk, (0, 0.0))
        result[queue.pk] = Workload.observed(count, window_s, float(queue.avg_talk_s or 0))
    return result
