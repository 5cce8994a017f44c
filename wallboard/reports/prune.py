"""Delete history past retention in small batches (docs/decisions/020-history-retention.md).

A history row is past retention when it describes no moment at or after the cutoff
(``now - HISTORY_RETENTION_DAYS``):

- an agent status span ``[started_at, ended_at)`` when it has ended at or before the cutoff
  (an open span is never past retention);
- a queue sample, which holds from its ``taken_at`` until the queue's next sample, when
  that next sample is itself at or before the cutoff (so the figures in force at the
  cutoff survive, and the oldest reportable day still starts with them);
- a poll-log row when it was written before the cutoff.

Each batch is one short ``DELETE … WHERE id IN (SELECT id … LIMIT n)`` in its own
transaction. Spans and samples are found through the BRIN index on their start time (a
span that ended by the cutoff also started by it; no index covers ``ended_at``, so that
closing a span is a HOT update), and as it does not matter which expired rows a batch
takes, those batches are not sorted; poll-log rows walk their B-tree on ``started_at``.
DELETE takes only ROW EXCLUSIVE on the table (which does not conflict with the poller's
INSERT/UPDATE or the reports' SELECT) and row locks on rows nobody writes any more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from wallboard.monitoring.models import AgentStatusSpan, PollLog, QueueSample
from wallboard.reports.days import retention_cutoff


@dataclass(slots=True)
class PruneResult:
    cutoff: datetime
    dry_run: bool
    deleted: dict[str, int] = field(default_factory=dict)
    batch_ms: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def expired_spans(cutoff: datetime) -> QuerySet[AgentStatusSpan]:
    # started_at <= cutoff follows from ended_at <= cutoff; it is there for the index.
    return AgentStatusSpan.objects.filter(started_at__lte=cutoff, ended_at__lte=cutoff)


def expired_samples(cutoff: datetime) -> QuerySet[QueueSample]:
    newer_before_cutoff = QueueSample.objects.filter(
        queue_id=OuterRef("queue_id"), taken_at__gt=OuterRef("taken_at"), taken_at__lte=cutoff
    )
    return QueueSample.objects.filter(taken_at__lt=cutoff).filter(Exists(newer_before_cutoff))


def expired_polls(cutoff: datetime) -> QuerySet[PollLog]:
    return PollLog.objects.filter(started_at__lt=cutoff).order_by("started_at")


EXPIRED: dict[str, Callable[[datetime], QuerySet]] = {  # type: ignore[type-arg]
    "spans": expired_spans,
    "samples": expired_samples,
    "polls": expired_polls,
}


def prune_history(
    *,
    now: datetime | None = None,
    retention_days: int | None = None,
    batch_size: int | None = None,
    dry_run: bool = False,
    pause_s: float = 0.0,
) -> PruneResult:
    """Delete (or with ``dry_run`` count) every history row past retention, in batches."""
    cutoff = retention_cutoff(now or timezone.now(), retention_days)
    batch = batch_size or settings.HISTORY_PRUNE_BATCH
    result = PruneResult(cutoff=cutoff, dry_run=dry_run)
    for name, expired in EXPIRED.items():
        if dry_run:
            result.deleted[name] = expired(cutoff).count()
            continue
        model = expired(cutoff).model
        deleted = 0
        while True:
            started = time.perf_counter()
            with transaction.atomic():
                ids = expired(cutoff).values("pk")[:batch]
                count, _ = model.objects.filter(pk__in=ids).delete()
            result.batch_ms.append((time.perf_counter() - started) * 1000)
            deleted += count
            if count < batch:
                break
            if pause_s:
                time.sleep(pause_s)
        result.deleted[name] = deleted
    return result
