"""History writes: agent status spans and queue samples, inside the poll's transaction.

History grows with changes, never with polls: a span per status change, and at most one
queue sample per ``QUEUE_SAMPLE_MIN_SPACING_S`` (ADR 020).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import OuterRef, Subquery

from wallboard.monitoring import models as m
from wallboard.monitoring.rows import insert_rows, known_row, update_rows

SAMPLED_FIELDS = (
    "calls_waiting",
    "longest_wait_since",
    "agents_ready",
    "agents_busy",
    "agents_paused",
    "service_level_pct",
    "answered",
    "abandoned",
)
SAMPLE_VALUES = (
    "calls_waiting",
    "longest_wait_s",
    "agents_ready",
    "agents_busy",
    "agents_paused",
    "service_level_pct",
    "answered",
    "abandoned",
)


def _sample_values(row: m.Queue, taken_at: datetime) -> dict[str, object]:
    return {
        "calls_waiting": row.calls_waiting,
        "longest_wait_s": (
            max(0, int((taken_at - row.longest_wait_since).total_seconds()))
            if row.longest_wait_since
            else None
        ),
        "agents_ready": row.agents_ready,
        "agents_busy": row.agents_busy,
        "agents_paused": row.agents_paused,
        "service_level_pct": row.service_level_pct,
        "answered": row.answered,
        "abandoned": row.abandoned,
    }


def write_samples(queues: list[m.Queue], taken_at: datetime) -> None:
    """One sample per changed queue, at most one per ``QUEUE_SAMPLE_MIN_SPACING_S``.

    A change less than the spacing after the queue's newest sample overwrites that sample's
    figures (its ``taken_at`` stays): the stored series keeps the figures each window
    ended with, so the newest sample is always the current state, and a queue whose
    numbers move on every poll still adds one row per spacing, not one per poll.
    """
    spacing = timedelta(seconds=settings.QUEUE_SAMPLE_MIN_SPACING_S)
    existing = [row.pk for row in queues if row.pk is not None]
    recent = _newest_samples(existing, taken_at - spacing, taken_at) if spacing and existing else {}
    overwritten: list[m.QueueSample] = []
    created: list[m.QueueSample] = []
    for row in queues:
        newest = recent.get(row.pk) if row.pk is not None else None
        if newest is None:
            created.append(
                m.QueueSample(queue=row, taken_at=taken_at, **_sample_values(row, taken_at))
            )
        else:
            # The longest wait is stored as of the sample's own time, so that
            # ``taken_at - longest_wait_s`` still says when that caller arrived.
            for name, value in _sample_values(row, newest.taken_at).items():
                setattr(newest, name, value)
            overwritten.append(newest)
    update_rows(m.QueueSample, overwritten, SAMPLE_VALUES)
    insert_rows(m.QueueSample, created)


def _newest_samples(
    queue_pks: list[int], after: datetime, until: datetime
) -> dict[int, m.QueueSample]:
    """Each queue's newest sample taken in (``after``, ``until``], by queue pk. On
    PostgreSQL one prepared statement (``_NEWEST_SAMPLES``) whose rows are built with only
    what overwriting needs (a poll asks this for every queue whose figures moved)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        samples = connection.ops.quote_name(m.QueueSample._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(_NEWEST_SAMPLES.format(samples=samples), [queue_pks, after, until])
            return {
                queue_pk: known_row(m.QueueSample, {"id": pk, "queue_id": queue_pk, "taken_at": at})
                for pk, queue_pk, at in cursor.fetchall()
            }
    recent: dict[int, m.QueueSample] = {}
    for sample in m.QueueSample.objects.filter(
        queue_id__in=queue_pks, taken_at__gt=after, taken_at__lte=until
    ).order_by("queue_id", "taken_at", "pk"):
        recent[sample.queue_id] = sample  # the newest one per queue wins
    return recent


_NEWEST_SAMPLES = """
SELECT DISTINCT ON (queue_id) id, queue_id, taken_at FROM {samples}
WHERE queue_id = ANY(%s::bigint[]) AND taken_at > %s AND taken_at <= %s
ORDER BY queue_id, taken_at DESC, id DESC
"""


# Close each agent's open span (its newest one, if open) and open the next at the same
# instant, in one statement: the arrays are the agents, their new status and pause reason,
# and since when (``status_since``, else the poll's time; never before the closed span began).
_NEXT_SPANS = """
WITH v (agent_id, status, pause_reason, since) AS (
    SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[])
), closed AS (
    UPDATE {spans} AS s SET ended_at = GREATEST(v.since, s.started_at)
    FROM v
    WHERE s.id = (
        SELECT o.id FROM {spans} AS o WHERE o.agent_id = v.agent_id
        ORDER BY o.started_at DESC, o.id DESC LIMIT 1
    ) AND s.ended_at IS NULL
    RETURNING s.agent_id, s.ended_at
)
INSERT INTO {spans} (agent_id, status, pause_reason, started_at, ended_at)
SELECT v.agent_id, v.status, v.pause_reason, COALESCE(closed.ended_at, v.since), NULL
FROM v LEFT JOIN closed ON closed.agent_id = v.agent_id
"""


def write_spans(agents: list[m.Agent], taken_at: datetime) -> None:
    """Close each agent's open span and open the next one at the same instant.

    An agent's open span is its newest one. It is found through the (agent, started_at)
    index, one short probe per agent: no index covers ``ended_at``, so that closing a span
    stays a HOT update (see the AgentStatusSpan indexes). On PostgreSQL it is one statement
    (``_NEXT_SPANS``), whose text psycopg prepares once.
    """
    if not agents:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        sql = _NEXT_SPANS.format(spans=connection.ops.quote_name(m.AgentStatusSpan._meta.db_table))
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    [a.pk for a in agents],
                    [a.status for a in agents],
                    [a.pause_reason for a in agents],
                    [a.status_since or taken_at for a in agents],
                ],
            )
        return
    newest = (
        m.AgentStatusSpan.objects.filter(agent=OuterRef("pk"))
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    newest_ids = m.Agent.objects.filter(pk__in=[a.pk for a in agents if a.pk is not None])
    open_spans = {
        s.agent_id: s
        for s in m.AgentStatusSpan.objects.filter(
            pk__in=newest_ids.values(span=Subquery(newest)), ended_at__isnull=True
        )
    }
    closed, opened = [], []
    for agent in agents:
        start = agent.status_since or taken_at
        previous = open_spans.get(agent.pk)
        if previous is not None:
            start = max(start, previous.started_at)
            previous.ended_at = start
            closed.append(previous)
        opened.append(
            m.AgentStatusSpan(
                agent=agent, status=agent.status, pause_reason=agent.pause_reason, started_at=start
            )
        )
    update_rows(m.AgentStatusSpan, closed, ["ended_at"])
    m.AgentStatusSpan.objects.bulk_create(opened)
