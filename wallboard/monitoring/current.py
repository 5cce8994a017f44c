"""Current-state writes: the rows a ``Delta`` names (queues, agents, memberships, waiting
callers, active calls, pause reasons), with bulk statements, inside the caller's transaction,
and what they touched (``StoredChanges``) for the screens."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import TypeVar

from django.db.models import Q

from providers.model import Agent
from wallboard.monitoring import models as m
from wallboard.monitoring.diff import Delta, QueueState, State
from wallboard.monitoring.history import SAMPLED_FIELDS, write_samples, write_spans
from wallboard.monitoring.rows import delete_rows, insert_rows, known_row, update_rows

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
    # The vendor ids of the agents on a call once the delta is stored (None: not known, the
    # screens read the calls): a tile needs no read of calls for an agent on none.
    on_call: frozenset[str] | None = None
    # The fields that changed on each updated queue, so the page re-sends only what shows them.
    queue_changes: dict[int, frozenset[str]] = field(default_factory=dict)
    # The rows' pks once the delta is stored (None: not known, the next write reads them).
    ids: RowIds | None = None


@dataclass(frozen=True, slots=True)
class RowIds:
    """The pks of an account's queue and agent rows by vendor id, as stored at one ``seq``.
    Never changed in place: a cached one may belong to a transaction that rolls back."""

    queues: dict[str, int] = field(default_factory=dict)
    agents: dict[str, int] = field(default_factory=dict)


RowT = TypeVar("RowT", m.Queue, m.Agent)
HeldT = TypeVar("HeldT", QueueState, Agent)


class _AccountRows:
    """The account's queue and agent rows by vendor id, each loaded once and only when a
    delta names it (a poll that changes 50 of 1,000 agents reads 50 agent rows).

    With the state stored at the account's ``seq`` and its rows' pks (``known``), a row it
    names is built from them instead of read: the state is what those rows hold.
    """

    def __init__(self, account: m.ProviderAccount, known: tuple[State, RowIds] | None) -> None:
        self.account = account
        self.known = known
        self.queues: dict[str, m.Queue] = {}
        self.agents: dict[str, m.Agent] = {}
        self.deleted: list[str] = []

    def load_queues(self, vendor_ids: Iterable[str | None]) -> dict[str, m.Queue]:
        state, ids = self.known or (State(), RowIds())
        return self._load(m.Queue, self.queues, vendor_ids, ids.queues, state.queues, queue_values)

    def load_agents(self, vendor_ids: Iterable[str | None]) -> dict[str, m.Agent]:
        state, ids = self.known or (State(), RowIds())
        return self._load(m.Agent, self.agents, vendor_ids, ids.agents, state.agents, agent_values)

    def _load(
        self,
        model: type[RowT],
        loaded: dict[str, RowT],
        vendor_ids: Iterable[str | None],
        pks: dict[str, int],
        held: dict[str, HeldT],
        values_of: Callable[[HeldT], dict[str, object]],
    ) -> dict[str, RowT]:
        missing = {vid for vid in vendor_ids if vid is not None and vid not in loaded}
        for vid in [vid for vid in missing if vid in pks and vid in held]:
            values = {"id": pks[vid], "account_id": self.account.pk, "vendor_id": vid}
            loaded[vid] = known_row(model, values | values_of(held[vid]))
            missing.discard(vid)
        if missing:
            found = model._default_manager.filter(account=self.account, vendor_id__in=missing)
            loaded.update((row.vendor_id, row) for row in found.order_by())
        return loaded

    def ids(self) -> RowIds | None:
        """The pks once the write is done: the known ones, with the rows created or read
        added and the queues deleted taken out (None if none were known)."""
        if self.known is None:
            return None
        known = self.known[1]
        queues = _new_pks(self.queues, known.queues)
        agents = _new_pks(self.agents, known.agents)
        if not queues and not agents and not self.deleted:
            return known
        queues = known.queues | queues
        for vid in self.deleted:
            queues.pop(vid, None)
        return RowIds(queues=queues, agents=known.agents | agents)


def _new_pks(rows: dict[str, RowT], known: dict[str, int]) -> dict[str, int]:
    return {vid: r.pk for vid, r in rows.items() if r.pk is not None and known.get(vid) != r.pk}


def queue_values(qs: QueueState) -> dict[str, object]:
    q = qs.queue
    values: dict[str, object] = {
        f: getattr(q, f) for f in QUEUE_FIELDS if f not in ("number", "longest_wait_since")
    }
    values["number"] = q.number or ""
    values["longest_wait_since"] = qs.longest_wait_since
    return values


def agent_values(a: Agent) -> dict[str, object]:
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
        account_rows.deleted.extend(gone)
        out.layout_changed = True
    created, updated, samples = [], [], []
    written: set[str] = set()
    for vid, qs in delta.queues.items():
        if qs is None:
            continue
        values = queue_values(qs)
        row = rows.get(vid)
        if row is None:
            row = m.Queue(account=account, vendor_id=vid, **values)
            created.append(row)
            rows[vid] = row
        else:
            changed = frozenset(n for n, v in values.items() if getattr(row, n) != v)
            for name in changed:
                setattr(row, name, values[name])
            written |= changed
            updated.append(row)
            out.queue_changes[row.pk] = changed
            if changed.isdisjoint(SAMPLED_FIELDS):
                continue
        samples.append(row)
    if created:
        m.Queue.objects.bulk_create(created)
        out.layout_changed = True
    update_rows(m.Queue, updated, _only(QUEUE_FIELDS, written))
    if samples:
        write_samples(samples, taken_at)
    out.queues = created + updated


def _write_agents(
    account_rows: _AccountRows, delta: Delta, taken_at: datetime, out: StoredChanges
) -> None:
    account = account_rows.account
    rows = account_rows.load_agents(delta.agents)
    created, updated, status_changed = [], [], []
    written: set[str] = set()
    for vid, agent in delta.agents.items():
        values = agent_values(agent)
        row = rows.get(vid)
        if row is None:
            row = m.Agent(account=account, vendor_id=vid, **values)
            created.append(row)
            rows[vid] = row
            status_changed.append(row)
            continue
        moved = (row.status, row.pause_reason) != (values["status"], values["pause_reason"])
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                written.add(name)
        updated.append(row)
        if moved:
            status_changed.append(row)
    if created:
        m.Agent.objects.bulk_create(created)
        out.layout_changed = True
    update_rows(m.Agent, updated, _only(AGENT_FIELDS, written))
    if status_changed:
        write_spans(status_changed, taken_at)
    out.agents = created + updated


def _only(fields: list[str], written: set[str]) -> list[str]:
    """The ``fields`` some row changed, in their fixed order: a poll at 5 % churn changes
    a few of a queue's 16 columns, and each column written is one more array to adapt."""
    return [name for name in fields if name in written]


def write_delta(
    account: m.ProviderAccount,
    delta: Delta,
    taken_at: datetime,
    stored: State | None = None,
    known: tuple[State, RowIds] | None = None,
) -> StoredChanges:
    """Write ``delta``; ``stored``: the state once it is written (``apply``), which tells
    the screens who is on a call; ``known``: the state the rows hold now and their pks
    (``read_model.cached_state``), so that the rows the delta names need no read."""
    out = StoredChanges()
    if stored is not None:
        out.on_call = frozenset(c.agent_id for c in stored.active.values() if c.agent_id)
    rows = _AccountRows(account, known)
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
        delete_rows(m.WaitingCall, "queue", [q.pk for q in touched])
        insert_rows(
            m.WaitingCall,
            [
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
            ],
        )

    if delta.active:
        calls = [c for c in delta.active.values() if c is not None]
        q_rows = rows.load_queues(c.queue_id for c in calls)
        a_rows = rows.load_agents(c.agent_id for c in calls)
        ended = delete_rows(
            m.ActiveCall, "call_id", list(delta.active), where=("account", account.pk),
            returning="agent",
        )  # fmt: skip
        out.call_agent_pks = set(ended)
        out.call_agent_pks |= {a_rows[c.agent_id].pk for c in calls if c.agent_id in a_rows}
        insert_rows(
            m.ActiveCall,
            [
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
            ],
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
    out.ids = rows.ids()
    return out
