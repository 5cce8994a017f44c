"""Compare what a poll saw with what is stored, and say exactly what changed.

Pure functions over the normalised model: no database, no Django. ``State`` is the
comparable form of a snapshot: relative durations become absolute "since" times (so an
unchanged queue with a caller waiting compares equal poll after poll), and the parts of
the snapshot whose endpoints failed are carried over from the previous state.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import compress
from operator import attrgetter, is_not, ne
from typing import Any, TypeVar

from providers.model import (
    ActiveCall,
    Agent,
    AgentStatus,
    Endpoint,
    Membership,
    PauseReason,
    Queue,
    Snapshot,
)

# Vendors report waits in whole seconds measured at slightly different moments, so two
# derived "since" times for the same caller can differ by a second or two.
SINCE_TOLERANCE = timedelta(seconds=2)

MembershipKey = tuple[str, str]
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class QueueState:
    queue: Queue  # with longest_wait_s cleared: the wait is kept as longest_wait_since
    longest_wait_since: datetime | None


@dataclass(frozen=True, slots=True)
class WaitingState:
    position: int
    caller: str
    caller_name: str | None
    waiting_since: datetime | None
    call_id: str | None


@dataclass(slots=True)
class State:
    queues: dict[str, QueueState] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    memberships: dict[MembershipKey, Membership] = field(default_factory=dict)
    waiting: dict[str, tuple[WaitingState, ...]] = field(default_factory=dict)
    active: dict[str, ActiveCall] = field(default_factory=dict)
    pauses: dict[str, PauseReason] = field(default_factory=dict)


@dataclass(slots=True)
class Delta:
    """What changed. A value of ``None`` means the item is gone."""

    queues: dict[str, QueueState | None] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    memberships: dict[MembershipKey, Membership | None] = field(default_factory=dict)
    waiting: dict[str, tuple[WaitingState, ...]] = field(default_factory=dict)
    active: dict[str, ActiveCall | None] = field(default_factory=dict)
    pauses: dict[str, PauseReason | None] = field(default_factory=dict)

    def __len__(self) -> int:
        return (
            len(self.queues)
            + len(self.agents)
            + len(self.memberships)
            + len(self.waiting)
            + len(self.active)
            + len(self.pauses)
        )


def _since(taken_at: datetime, seconds: int | None) -> datetime | None:
    return (
        None if seconds is None else (taken_at - timedelta(seconds=seconds)).replace(microsecond=0)
    )


def _same_time(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= SINCE_TOLERANCE


def _older(reply: Agent, held: Agent) -> bool:
    return (
        held.status_since is not None
        and reply.status_since is not None
        and reply.status != held.status
        and reply.status_since < held.status_since - SINCE_TOLERANCE
    )


def _same(a: object, b: object) -> bool:
    """Equal, treating "since" times within the tolerance as equal."""
    if a == b:
        return True
    kind: type = type(a)
    if kind is not type(b) or not dataclasses.is_dataclass(kind):
        return False
    values = _values_of(kind)
    these, those = values(a), values(b)
    # Only the fields that differ are looked at (found in C): a queue's poll changes two or
    # three of its twenty, and a hundred queues are compared each poll.
    for x, y in compress(zip(these, those, strict=True), map(ne, these, those)):
        if isinstance(x, datetime) or isinstance(y, datetime):
            if not _same_time(x, y):
                return False
        elif not _same(x, y):
            return False
    return True


@functools.cache
def _values_of(cls: type) -> Callable[[object], tuple[Any, ...]]:
    """A dataclass's field values as one tuple, read in C."""
    names = [f.name for f in dataclasses.fields(cls)]
    if len(names) < 2:
        return lambda item: tuple(getattr(item, name) for name in names)
    return attrgetter(*names)


def _agent(a: Agent, old: Agent | None, taken_at: datetime) -> Agent:
    """The comparable form of an agent the vendor reported, given the one we hold."""
    # An empty optional string from a vendor means "not reported", like None.
    # (Replacing only when needed: copying 1,000 agents per poll shows in profiles.)
    if "" in (a.extension, a.pause_reason_id, a.pause_reason):
        a = dataclasses.replace(
            a,
            extension=a.extension or None,
            pause_reason_id=a.pause_reason_id or None,
            pause_reason=a.pause_reason or None,
        )
    if a.status_since is None:
        # The vendor does not say since when: keep ours while the status holds.
        kept = old.status_since if old is not None and old.status == a.status else None
        a = dataclasses.replace(a, status_since=kept or taken_at.replace(microsecond=0))
    elif old is not None and _older(a, old):
        # A status that began before the one we hold is an old reply (a lagging vendor
        # node, a replayed response, a poll fetched before a fed change): keep the newer.
        a = old
    return a


_MEMBERSHIP_KEY = attrgetter("agent_id", "queue_id")


def normalise(snapshot: Snapshot, previous: State) -> State:
    """The comparable state of ``snapshot``; failed parts keep the previous values."""
    taken_at = snapshot.taken_at
    failed = snapshot.failed
    state = State()

    if Endpoint.QUEUES in failed:
        state.queues = dict(previous.queues)
    else:
        for q in snapshot.queues:
            # Nobody waiting means no longest wait, whatever figure the vendor sends.
            since = None if q.calls_waiting == 0 else _since(taken_at, q.longest_wait_s)
            if q.longest_wait_s is not None or q.number == "":
                q = dataclasses.replace(q, longest_wait_s=None, number=q.number or None)
            state.queues[q.id] = QueueState(queue=q, longest_wait_since=since)

    if Endpoint.AGENTS in failed:
        state.agents = dict(previous.agents)
        state.memberships = dict(previous.memberships)
    else:
        held = previous.agents
        for a in snapshot.agents:
            old = held.get(a.id)
            # The very agent we hold (the adapter reused an unchanged record) is comparable.
            state.agents[a.id] = a if a is old else _agent(a, old, taken_at)
        memberships = snapshot.memberships
        state.memberships = dict(zip(map(_MEMBERSHIP_KEY, memberships), memberships, strict=True))

    if Endpoint.CALLS in failed:
        state.waiting = dict(previous.waiting)
        state.active = dict(previous.active)
    else:
        by_queue: dict[str, list[WaitingState]] = {}
        for w in snapshot.waiting_calls:
            by_queue.setdefault(w.queue_id, []).append(
                WaitingState(
                    position=w.position,
                    caller=w.caller,
                    caller_name=w.caller_name or None,
                    waiting_since=_since(taken_at, w.wait_s),
                    call_id=w.call_id or None,
                )
            )
        state.waiting = {qid: tuple(calls) for qid, calls in by_queue.items()}
        state.active = {
            c.call_id: dataclasses.replace(c, channel=c.channel or None)
            for c in snapshot.active_calls
        }

    if Endpoint.PAUSES in failed:
        state.pauses = dict(previous.pauses)
    else:
        state.pauses = {p.id: p for p in snapshot.pause_reasons}
    return state


def _diff_map(old: dict[K, V], new: dict[K, V]) -> dict[K, V | None]:
    changed: dict[K, V | None] = {}
    # Almost every item is unchanged, most often the very object of the previous poll
    # (which the adapter reused): those are passed over in C, before any Python runs.
    for key in compress(new, map(is_not, map(old.get, new), new.values())):
        value, before = new[key], old.get(key)
        if before is None or (before != value and not _same(before, value)):
            changed[key] = value
    for key in old.keys() - new.keys():
        changed[key] = None
    return changed


def diff(old: State, new: State, new_taken_at: datetime) -> Delta:
    """What must be written and pushed to get from ``old`` to ``new``.

    Agents that vanish from the vendor's list are not deleted: they become OFFLINE, so their
    history and their link to a user survive a provider hiccup.
    """
    delta = Delta(
        queues=_diff_map(old.queues, new.queues),
        memberships=_diff_map(old.memberships, new.memberships),
        active=_diff_map(old.active, new.active),
        pauses=_diff_map(old.pauses, new.pauses),
    )
    for agent_id, agent in _diff_map(old.agents, new.agents).items():
        if agent is not None:
            delta.agents[agent_id] = agent
    for agent_id in old.agents.keys() - new.agents.keys():
        gone = old.agents[agent_id]
        if gone.status != AgentStatus.OFFLINE:
            delta.agents[agent_id] = dataclasses.replace(
                gone,
                status=AgentStatus.OFFLINE,
                raw_status="",
                pause_reason=None,
                pause_reason_id=None,
                status_since=new_taken_at,
            )
    for queue_id in old.waiting.keys() | new.waiting.keys():
        before, after = old.waiting.get(queue_id, ()), new.waiting.get(queue_id, ())
        if len(before) != len(after) or not all(map(_same, before, after)):
            delta.waiting[queue_id] = after
    return delta


def diff_agents(old: State, agents: Iterable[Agent], taken_at: datetime) -> Delta:
    """What a feed's agent readings change in ``old``: the same normalisation and the same
    comparison as a poll's, so a reading a poll already stored (or the other way round)
    changes nothing. Agents ``old`` does not hold are left to the poll (it knows their
    queues); a feed names agents, it does not add them."""
    delta = Delta()
    for reading in agents:
        before = old.agents.get(reading.id)
        if before is None:
            continue
        agent = _agent(reading, before, taken_at)
        if agent is not before and agent != before and not _same(before, agent):
            delta.agents[agent.id] = agent
    return delta


def apply(state: State, delta: Delta) -> State:
    """``state`` with ``delta`` applied (what is stored after the write)."""

    def merged(base: dict[K, V], changes: dict[K, V | None]) -> dict[K, V]:
        out = dict(base)
        for key, value in changes.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    waiting = dict(state.waiting)
    for queue_id, calls in delta.waiting.items():
        if calls:
            waiting[queue_id] = calls
        else:
            waiting.pop(queue_id, None)
    return State(
        queues=merged(state.queues, delta.queues),
        agents={**state.agents, **delta.agents},
        memberships=merged(state.memberships, delta.memberships),
        waiting=waiting,
        active=merged(state.active, delta.active),
        pauses=merged(state.pauses, delta.pauses),
    )
