"""Write simulated history (``providers.sim.history``) into an account's history tables.

The demo polls each simulator once, so its agents and queues exist and their live history
has begun, then seeds the days before: ``seed_history`` turns the events into
``AgentStatusSpan`` and ``QueueSample`` rows with the store's conventions and writes them
in one transaction.

The seeded history ends where the live history begins, so nothing stored changes:

- an agent's spans end at the start of its first stored span (every seeded span is
  closed: the open span, matching the agent's status, stays the only one); an agent with
  no span yet ends at its ``status_since``, and one with neither gets no history;
- a queue's samples end one sample spacing (``QUEUE_SAMPLE_MIN_SPACING_S``) before its
  first stored sample, and keep at most one sample per spacing, as the store does;
- figures the vendor does not report now (a stored queue field that is None, such as
  Daktela's answered calls) stay None in the seeded samples too;
- events for agents or queues the account does not have are skipped.

A week of three 24-agent accounts is some 330,000 rows. ``bulk_create`` spends ~35 µs of
Python per row preparing model instances (measured: ~4 s per account's 110,000 rows, on
PostgreSQL and SQLite alike, before building the instances); the rows are plain values, so
they go in as tuples: PostgreSQL's COPY, or one ``executemany`` INSERT elsewhere (SQLite in
the embedded demo), under 1 s per account.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Min

from providers.sim.history import HistoryEvent, QueueFigures, StatusChange
from wallboard.monitoring.models import (
    Agent,
    AgentStatusSpan,
    ProviderAccount,
    Queue,
    QueueSample,
)

SPAN_COLUMNS = ("agent", "status", "pause_reason", "started_at", "ended_at")
#: The figures a sample keeps, in the model's order (calls_waiting, longest_wait_s, …).
FIGURES = tuple(
    f.name for f in QueueSample._meta.concrete_fields if f.name not in ("id", "queue", "taken_at")
)
SAMPLE_COLUMNS = ("queue", "taken_at", *FIGURES)
#: Sampled figures that are the vendor's own, and missing where it does not report them.
REPORTED = FIGURES[2:]
Row = tuple[int | float | str | datetime | None, ...]


@dataclass(frozen=True, slots=True)
class Seeded:
    spans: int
    samples: int


@dataclass(slots=True)
class _Span:
    status: str
    pause_reason: str
    started_at: datetime
    ended_at: datetime | None = None


@dataclass(slots=True)
class _Sample:
    taken_at: datetime
    figures: list[int | float | None]  # FIGURES


@dataclass(slots=True)
class _AgentHistory:
    pk: int
    ends_at: datetime
    spans: list[_Span]


@dataclass(slots=True)
class _QueueHistory:
    row: Queue
    ends_at: datetime
    samples: list[_Sample]
    reported: tuple[str, ...]  # the figures of REPORTED the vendor gives for this queue


def seed_history(account: ProviderAccount, events: Iterable[HistoryEvent]) -> Seeded:
    """Write ``events`` (in time order) as the history before the account's live history."""
    spacing = timedelta(seconds=settings.QUEUE_SAMPLE_MIN_SPACING_S)
    with transaction.atomic():
        # A poll of this account waits: its history rows must not interleave with these.
        ProviderAccount.objects.select_for_update().filter(pk=account.pk).first()
        agents = _agents(account)
        queues = _queues(account, spacing)
        ends = [h.ends_at for h in agents.values()] + [q.ends_at for q in queues.values()]
        if not ends:
            return Seeded(spans=0, samples=0)
        horizon = max(ends)
        for event in events:
            if event.at > horizon:  # nothing later is kept: stop the simulation here
                break
            if isinstance(event, StatusChange):
                history = agents.get(event.agent_id)
                if history is not None and event.at < history.ends_at:
                    _add_span(history, event)
            else:
                queue = queues.get(event.queue_id)
                if queue is not None and event.at <= queue.ends_at:
                    _add_sample(queue, event, spacing)
        spans: list[Row] = []
        for history in agents.values():
            if history.spans:
                history.spans[-1].ended_at = history.ends_at
            spans.extend(
                (history.pk, s.status, s.pause_reason, s.started_at, s.ended_at)
                for s in history.spans
            )
        samples: list[Row] = [
            (queue.row.pk, sample.taken_at, *sample.figures)
            for queue in queues.values()
            for sample in queue.samples
        ]
        _insert(AgentStatusSpan, SPAN_COLUMNS, spans)
        _insert(QueueSample, SAMPLE_COLUMNS, samples)
    return Seeded(spans=len(spans), samples=len(samples))


def _agents(account: ProviderAccount) -> dict[str, _AgentHistory]:
    first_span = dict(
        AgentStatusSpan.objects.filter(agent__account=account)
        .values("agent_id")
        .annotate(first=Min("started_at"))
        .values_list("agent_id", "first")
    )
    histories = {}
    for pk, vendor_id, since in Agent.objects.filter(account=account).values_list(
        "pk", "vendor_id", "status_since"
    ):
        ends_at = first_span.get(pk, since)
        if ends_at is not None:
            histories[vendor_id] = _AgentHistory(pk, ends_at, [])
    return histories


def _queues(account: ProviderAccount, spacing: timedelta) -> dict[str, _QueueHistory]:
    first_sample = dict(
        QueueSample.objects.filter(queue__account=account)
        .values("queue_id")
        .annotate(first=Min("taken_at"))
        .values_list("queue_id", "first")
    )
    return {
        queue.vendor_id: _QueueHistory(
            queue,
            first_sample[queue.pk] - spacing,
            [],
            tuple(name for name in REPORTED if getattr(queue, name) is not None),
        )
        for queue in Queue.objects.filter(account=account)
        if queue.pk in first_sample
    }


def _add_span(history: _AgentHistory, change: StatusChange) -> None:
    status, reason = change.status.value, change.pause_reason or ""
    spans = history.spans
    if spans and spans[-1].started_at >= change.at:  # replaced in the same instant
        spans.pop()
        if spans:
            spans[-1].ended_at = None
    if spans:
        current = spans[-1]
        if (current.status, current.pause_reason) == (status, reason):
            return
        current.ended_at = change.at
    spans.append(_Span(status, reason, change.at))


def _add_sample(queue: _QueueHistory, event: QueueFigures, spacing: timedelta) -> None:
    reported = queue.reported
    values: list[int | float | None] = [
        event.calls_waiting if queue.row.calls_waiting is not None else None,
        # As the store keeps it: no longest wait while nobody waits.
        event.longest_wait_s if event.calls_waiting else None,
    ]
    values += [getattr(event, name) if name in reported else None for name in REPORTED]
    samples = queue.samples
    newest = samples[-1] if samples else None
    if newest is None or event.at - newest.taken_at >= spacing:
        samples.append(_Sample(event.at, values))
        return
    # Within the spacing the newest sample takes these figures (the store's rule), with
    # the longest wait as of its own time.
    longest = values[1]
    if longest is not None:
        values[1] = max(0, int(longest) - int((event.at - newest.taken_at).total_seconds()))
    newest.figures = values


def _insert(model: type[models.Model], names: Sequence[str], rows: Sequence[Row]) -> None:
    """Rows of plain values into ``model``'s table (``names`` are its field names)."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    if not all(isinstance(field, models.Field) for field in fields):
        raise TypeError(f"{names} are not all columns of {meta.label}")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields if isinstance(field, models.Field))
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # Datetimes as SQLite keeps them, naive text in the connection's zone (what
        # ``adapt_datetimefield_value`` makes of an aware datetime, without its per-value
        # checks: half a million calls of it cost seconds).
        zone = connection.timezone
        dates = [i for i, field in enumerate(fields) if isinstance(field, models.DateTimeField)]
        prepared = []
        for row in rows:
            values = list(row)
            for i in dates:
                value = values[i]
                if isinstance(value, datetime):
                    values[i] = str(value.astimezone(zone).replace(tzinfo=None))
            prepared.append(values)
        marks = ", ".join(["%s"] * len(fields))
        insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model
        cursor.executemany(insert, prepared)
