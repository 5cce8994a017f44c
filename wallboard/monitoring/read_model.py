"""The stored state of an account as a ``State`` (what the next poll is compared with), and a
per-process cache of it: the process that wrote a state last need not read it back."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Exists, OuterRef, QuerySet

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
from wallboard.monitoring.current import AGENT_FIELDS, QUEUE_FIELDS, RowIds
from wallboard.monitoring.diff import QueueState, State, WaitingState


def _none(value: str) -> str | None:
    return value or None


def _agent_rows(account: m.ProviderAccount) -> QuerySet[m.Agent]:
    # Not the admin's number and PIN: the state has neither, and the PIN is decrypted on load.
    return m.Agent.objects.filter(account=account).only("vendor_id", *AGENT_FIELDS)


def _reading(a: m.Agent) -> Agent:
    return Agent(
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


def load_state(account: m.ProviderAccount) -> State:
    return _load(account)[0]


def _load(account: m.ProviderAccount) -> tuple[State, RowIds]:
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
    for a in _agent_rows(account):
        agent_ids[a.pk] = a.vendor_id
        state.agents[a.vendor_id] = _reading(a)
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
    ids = RowIds(
        queues={vid: pk for pk, vid in queue_ids.items()},
        agents={vid: pk for pk, vid in agent_ids.items()},
    )
    return state, ids


_cache: dict[int, tuple[int, State, RowIds]] = {}


def remembered_state(
    account: m.ProviderAccount, seq: int | None = None
) -> tuple[State, RowIds] | None:
    """The state stored at ``seq`` (by default the account's) and its rows' pks, if this
    process wrote or read them last; None otherwise."""
    hit = _cache.get(account.pk)
    if hit is not None and hit[0] == (account.seq if seq is None else seq):
        return hit[1], hit[2]
    return None


def cached_state(account: m.ProviderAccount, seq: int | None = None) -> tuple[State, RowIds]:
    """The state stored at ``seq`` (by default the account's) and its rows' pks, from
    memory when this process wrote them last; read from the database otherwise, which
    must hold that ``seq`` then."""
    hit = remembered_state(account, seq)
    if hit is not None:
        return hit
    state, ids = _load(account)
    _cache[account.pk] = (account.seq if seq is None else seq, state, ids)
    return state, ids


def held_agents(
    account: m.ProviderAccount, vendor_ids: Collection[str]
) -> tuple[State, RowIds, frozenset[str]]:
    """The stored state of the named agents alone, their rows' pks, and which of them are
    on a call, from one query: what a fed change reads when another process wrote last
    (each poll elsewhere moves the ``seq``, and reading the whole account back for one
    agent costs more than the change)."""
    state, ids, on_call = State(), RowIds(), set()
    calls = m.ActiveCall.objects.filter(agent=OuterRef("pk"))
    rows = _agent_rows(account).filter(vendor_id__in=list(vendor_ids)).order_by()
    for a in rows.annotate(on_call=Exists(calls)):
        state.agents[a.vendor_id] = _reading(a)
        ids.agents[a.vendor_id] = a.pk
        if a.on_call:
            on_call.add(a.vendor_id)
    return state, ids, frozenset(on_call)


def remember_state(account: m.ProviderAccount, state: State, ids: RowIds) -> None:
    _cache[account.pk] = (account.seq, state, ids)
