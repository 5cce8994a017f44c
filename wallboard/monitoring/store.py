"""Read the stored state of an account as a ``State``, and write a ``Delta`` to the database.

Writes touch only the rows the delta names, with bulk statements, inside the caller's
transaction. History (agent status spans, queue samples) is written here too, so it grows
with changes and never with polls.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import OuterRef, Q, Subquery

from providers.model import (
    ActiveCall,
    Agent,
    AgentStatus,
    CallDirection,
    Membership,
    PauseReason,
    PauseType,
    Queue,
)
from wallboard.monitoring import models as m
from wallboard.monitoring.diff import Delta, QueueState, State, WaitingState

RowT = TypeVar("RowT", bound=models.Model)

QUEUE_FIELDS = [
    "number",
    "name",
    "calls_waiting",
    "longest_wait_since",
    "agents_total",
    "agents_ready",
    "agents_busy",
    "agents_paused",
    "answered",
    "abandoned",
    "service_level_pct",
    "sl_threshold_s",
    "avg_wait_s",
    "avg_talk_s",
    "capacity",
]
AGENT_FIELDS = [
    "login",
    "name",
    "extension",
    "status",
    "raw_status",
    "status_since",
    "pause_reason_id",
    "pause_reason",
]
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


@dataclass(slots=True)
class StoredChanges:
    """The rows a delta touched, for rendering the fragments to push."""

    queues: list[m.Queue] = field(default_factory=list)
    agents: list[m.Agent] = field(default_factory=list)
    layout_changed: bool = False
    # Queues whose waiting callers changed, agents whose current call changed.
    waiting_queue_pks: set[int] = field(default_factory=set)
    call_agent_pks: set[int] = field(default_factory=set)
    memberships_changed: bool = False
    pauses_changed: bool = False
    # The fields that changed on each updated queue, so the page re-sends only what shows them.
    queue_changes: dict[int, frozenset[str]] = field(default_factory=dict)


def _none(value: str) -> str | None:
    return value or None


# -- reading -------------------------------------------------------------------------------


def load_state(account: m.ProviderAccount) -> State:
    state = State()
    queue_ids: dict[int, str] = {}
    for q in m.Queue.objects.filter(account=account):
        queue_ids[q.pk] = q.vendor_id
        state.queues[q.vendor_id] = QueueState(
            queue=Queue(
                id=q.vendor_id,
                name=q.name,
                number=_none(q.number),
                **{f: getattr(q, f) for f in QUEUE_FIELDS[2:] if f != "longest_wait_since"},
            ),
            longest_wait_since=q.longest_wait_since,
        )
    agent_ids: dict[int, str] = {}
    for a in m.Agent.objects.filter(account=account):
        agent_ids[a.pk] = a.vendor_id
        state.agents[a.vendor_id] = Agent(
            id=a.vendor_id,
            login=a.login,
            name=a.name,
            status=AgentStatus(a.status),
            raw_status=a.raw_status,
            extension=_none(a.extension),
            status_since=a.status_since,
            pause_reason_id=_none(a.pause_reason_id),
            pause_reason=_none(a.pause_reason),
        )
    for ms in m.Membership.objects.filter(agent__account=account):
        key = (agent_ids[ms.agent_id], queue_ids[ms.queue_id])
        state.memberships[key] = Membership(
            agent_id=key[0],
            queue_id=key[1],
            penalty=ms.penalty,
            static=ms.static,
            logged_in=ms.logged_in,
        )
    waiting: dict[str, list[WaitingState]] = {}
    for w in m.WaitingCall.objects.filter(queue__account=account):
        waiting.setdefault(queue_ids[w.queue_id], []).append(
            WaitingState(
                position=w.position,
                caller=w.caller,
                caller_name=_none(w.caller_name),
                waiting_since=w.waiting_since,
                call_id=_none(w.call_id),
            )
        )
    state.waiting = {qid: tuple(calls) for qid, calls in waiting.items()}
    for c in m.ActiveCall.objects.filter(account=account):
        state.active[c.call_id] = ActiveCall(
            call_id=c.call_id,
            agent_id=agent_ids.get(c.agent_id) if c.agent_id else None,
            queue_id=queue_ids.get(c.queue_id) if c.queue_id else None,
            direction=CallDirection(c.direction) if c.direction else None,
            number=c.number,
            state=AgentStatus(c.state),
            since=c.since,
            channel=_none(c.channel),
        )
    for p in m.PauseReason.objects.filter(account=account):
        state.pauses[p.vendor_id] = PauseReason(
            id=p.vendor_id, title=p.title, type=PauseType(p.type), paid=p.paid
        )
    return state


_cache: dict[int, tuple[int, State]] = {}


def cached_state(account: m.ProviderAccount) -> State:
    """The stored state, from memory when this process wrote it last (``seq`` unchanged)."""
    hit = _cache.get(account.pk)
    if hit is not None and hit[0] == account.seq:
        return hit[1]
    state = load_state(account)
    _cache[account.pk] = (account.seq, state)
    return state


def remember_state(account: m.ProviderAccount, state: State) -> None:
    _cache[account.pk] = (account.seq, state)


# -- writing -------------------------------------------------------------------------------


def update_rows(model: type[RowT], rows: Sequence[RowT], fields: Sequence[str]) -> None:
    """Save ``fields`` of the saved ``rows`` in one statement per call.

    Django's ``bulk_update`` builds a ``CASE WHEN id = … THEN …`` per field and row, and
    compiling that tree costs more CPU than the rest of a poll. On PostgreSQL this sends
    ``UPDATE t SET f = v.f, … FROM unnest(%s::<type>[], …) AS v(id, f, …) WHERE t.id = v.id``
    with one array per column: the statement text depends only on the model and fields, so
    psycopg parses it once, and the parameters stay few however many rows there are. Each
    value goes through its field's ``get_db_prep_save``; the casts give NULLs a type. Other
    databases (SQLite in the embedded demo) use ``bulk_update``.
    """
    if not rows:
        return
    # The connection itself, not the ``django.db.connection`` proxy: each value's
    # ``get_db_prep_save`` reads it several times.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, fields)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    by_name = {f.name: f for f in meta.concrete_fields}
    columns = [pk, *(by_name[name] for name in fields)]
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in columns)
    sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in columns[1:])
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    table, key = qn(meta.db_table), qn(pk.column)
    # Identifiers come from the model's meta; every value is a parameter.
    sql = f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v ({names}) "  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql + f"WHERE t.{key} = v.{key}",
            [
                [f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows]
                for f in columns
            ],
        )


class _AccountRows:
    """The account's queue and agent rows by vendor id, each loaded once and only when a
    delta names it (a poll that changes 50 of 1,000 agents reads 50 agent rows)."""

    def __init__(self, account: m.ProviderAccount) -> None:
        self.account = account
        self.queues: dict[str, m.Queue] = {}
        self.agents: dict[str, m.Agent] = {}

    def load_queues(self, vendor_ids: Iterable[str | None]) -> dict[str, m.Queue]:
        missing = {vid for vid in vendor_ids if vid is not None and vid not in self.queues}
        if missing:
            found = m.Queue.objects.filter(account=self.account, vendor_id__in=missing)
            self.queues.update((q.vendor_id, q) for q in found.order_by())
        return self.queues

    def load_agents(self, vendor_ids: Iterable[str | None]) -> dict[str, m.Agent]:
        missing = {vid for vid in vendor_ids if vid is not None and vid not in self.agents}
        if missing:
            found = m.Agent.objects.filter(account=self.account, vendor_id__in=missing)
            self.agents.update((a.vendor_id, a) for a in found.order_by())
        return self.agents


def _queue_values(qs: QueueState) -> dict[str, object]:
    q = qs.queue
    values: dict[str, object] = {
        f: getattr(q, f) for f in QUEUE_FIELDS if f not in ("number", "longest_wait_since")
    }
    values["number"] = q.number or ""
    values["longest_wait_since"] = qs.longest_wait_since
    return values


def _agent_values(a: Agent) -> dict[str, object]:
    return {
        "login": a.login,
        "name": a.name,
        "extension": a.extension or "",
        "status": a.status.value,
        "raw_status": a.raw_status,
        "status_since": a.status_since,
        "pause_reason_id": a.pause_reason_id or "",
        "pause_reason": a.pause_reason or "",
    }


def _write_queues(
    account_rows: _AccountRows, delta: Delta, taken_at: datetime, out: StoredChanges
) -> None:
    account = account_rows.account
    rows = account_rows.load_queues(delta.queues)
    gone = [vid for vid, qs in delta.queues.items() if qs is None and vid in rows]
    if gone:
        m.Queue.objects.filter(account=account, vendor_id__in=gone).delete()
        for vid in gone:
            rows.pop(vid)
        out.layout_changed = True
    created, updated, samples = [], [], []
    for vid, qs in delta.queues.items():
        if qs is None:
            continue
        values = _queue_values(qs)
        row = rows.get(vid)
        if row is None:
            row = m.Queue(account=account, vendor_id=vid, **values)
            created.append(row)
            rows[vid] = row
        else:
            changed = frozenset(n for n, v in values.items() if getattr(row, n) != v)
            for name in changed:
                setattr(row, name, values[name])
            updated.append(row)
            out.queue_changes[row.pk] = changed
            if changed.isdisjoint(SAMPLED_FIELDS):
                continue
        samples.append(row)
    if created:
        m.Queue.objects.bulk_create(created)
        out.layout_changed = True
    update_rows(m.Queue, updated, QUEUE_FIELDS)
    if samples:
        _write_samples(samples, taken_at)
    out.queues = created + updated


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


def _write_samples(queues: list[m.Queue], taken_at: datetime) -> None:
    """One sample per changed queue, at most one per ``QUEUE_SAMPLE_MIN_SPACING_S``.

    A change less than the spacing after the queue's newest sample overwrites that sample's
    figures (its ``taken_at`` stays): the stored series keeps the figures each window
    ended with, so the newest sample is always the current state, and a queue whose
    numbers move on every poll still adds one row per spacing, not one per poll.
    """
    spacing = timedelta(seconds=settings.QUEUE_SAMPLE_MIN_SPACING_S)
    recent: dict[int, m.QueueSample] = {}
    existing = [row.pk for row in queues if row.pk is not None]
    if spacing and existing:
        for sample in m.QueueSample.objects.filter(
            queue_id__in=existing, taken_at__gt=taken_at - spacing, taken_at__lte=taken_at
        ).order_by("queue_id", "taken_at"):
            recent[sample.queue_id] = sample  # the newest one per queue wins
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
    if created:
        m.QueueSample.objects.bulk_create(created)


def _write_agents(
    account_rows: _AccountRows, delta: Delta, taken_at: datetime, out: StoredChanges
) -> None:
    account = account_rows.account
    rows = account_rows.load_agents(delta.agents)
    created, updated, status_changed = [], [], []
    for vid, agent in delta.agents.items():
        values = _agent_values(agent)
        row = rows.get(vid)
        if row is None:
            row = m.Agent(account=account, vendor_id=vid, **values)
            created.append(row)
            rows[vid] = row
            status_changed.append(row)
            continue
        moved = (row.status, row.pause_reason) != (values["status"], values["pause_reason"])
        for name, value in values.items():
            setattr(row, name, value)
        updated.append(row)
        if moved:
            status_changed.append(row)
    if created:
        m.Agent.objects.bulk_create(created)
        out.layout_changed = True
    update_rows(m.Agent, updated, AGENT_FIELDS)
    if status_changed:
        _write_spans(status_changed, taken_at)
    out.agents = created + updated


def _write_spans(agents: list[m.Agent], taken_at: datetime) -> None:
    """Close each agent's open span and open the next one at the same instant.

    An agent's open span is its newest one. It is found through the (agent, started_at)
    index, one short probe per agent: no index covers ``ended_at``, so that closing a span
    stays a HOT update (see the AgentStatusSpan indexes).
    """
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


def write_delta(account: m.ProviderAccount, delta: Delta, taken_at: datetime) -> StoredChanges:
    out = StoredChanges()
    rows = _AccountRows(account)
    if delta.queues:
        _write_queues(rows, delta, taken_at, out)
    if delta.agents:
        _write_agents(rows, delta, taken_at, out)

    if delta.memberships:
        out.memberships_changed = True
        q_rows = rows.load_queues(q for _, q in delta.memberships)
        a_rows = rows.load_agents(a for a, _ in delta.memberships)
        replaced = [
            Q(agent_id=a_rows[a].pk, queue_id=q_rows[q].pk)
            for a, q in delta.memberships
            if a in a_rows and q in q_rows
        ]
        if replaced:
            m.Membership.objects.filter(reduce(operator.or_, replaced)).delete()
        m.Membership.objects.bulk_create(
            m.Membership(
                agent=a_rows[ms.agent_id],
                queue=q_rows[ms.queue_id],
                penalty=ms.penalty,
                static=ms.static,
                logged_in=ms.logged_in,
            )
            for ms in delta.memberships.values()
            if ms is not None and ms.agent_id in a_rows and ms.queue_id in q_rows
        )

    if delta.waiting:
        q_rows = rows.load_queues(delta.waiting)
        touched = [q_rows[qid] for qid in delta.waiting if qid in q_rows]
        out.waiting_queue_pks = {q.pk for q in touched}
        m.WaitingCall.objects.filter(queue__in=touched).delete()
        m.WaitingCall.objects.bulk_create(
            m.WaitingCall(
                queue=q_rows[qid],
                position=w.position,
                caller=w.caller,
                caller_name=w.caller_name or "",
                waiting_since=w.waiting_since,
                call_id=w.call_id or "",
            )
            for qid, calls in delta.waiting.items()
            if qid in q_rows
            for w in calls
        )

    if delta.active:
        calls = [c for c in delta.active.values() if c is not None]
        q_rows = rows.load_queues(c.queue_id for c in calls)
        a_rows = rows.load_agents(c.agent_id for c in calls)
        ended = m.ActiveCall.objects.filter(account=account, call_id__in=list(delta.active))
        out.call_agent_pks = set(ended.exclude(agent=None).values_list("agent_id", flat=True))
        out.call_agent_pks |= {a_rows[c.agent_id].pk for c in calls if c.agent_id in a_rows}
        ended.delete()
        m.ActiveCall.objects.bulk_create(
            m.ActiveCall(
                account=account,
                call_id=c.call_id,
                agent=a_rows.get(c.agent_id) if c.agent_id else None,
                queue=q_rows.get(c.queue_id) if c.queue_id else None,
                direction=c.direction.value if c.direction else "",
                number=c.number,
                state=c.state.value,
                since=c.since,
                channel=c.channel or "",
            )
            for c in calls
        )

    if delta.pauses:
        out.pauses_changed = True
        m.PauseReason.objects.filter(account=account, vendor_id__in=list(delta.pauses)).delete()
        m.PauseReason.objects.bulk_create(
            m.PauseReason(
                account=account, vendor_id=p.id, title=p.title, type=p.type.value, paid=p.paid
            )
            for p in delta.pauses.values()
            if p is not None
        )
    return out
