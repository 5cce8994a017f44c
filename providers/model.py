"""The normalised call-center model every adapter produces (DESIGN §3).

Plain frozen dataclasses: two snapshots compare equal exactly when nothing a supervisor
could see has changed, which is the diff's first question.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class AgentStatus(enum.StrEnum):
    OFFLINE = "OFFLINE"
    LOGGED_IN = "LOGGED_IN"
    IDLE = "IDLE"
    RINGING = "RINGING"
    DIALING = "DIALING"
    TALKING = "TALKING"
    ON_HOLD = "ON_HOLD"
    WRAP_UP = "WRAP_UP"
    PAUSED = "PAUSED"
    UNAVAILABLE = "UNAVAILABLE"
    UNKNOWN = "UNKNOWN"


class PauseType(enum.StrEnum):
    NORMAL = "normal"
    WRAP = "wrap"
    OTHER = "other"


class CallDirection(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Endpoint(enum.StrEnum):
    """The parts of a snapshot that can go stale independently of each other."""

    QUEUES = "queues"
    AGENTS = "agents"
    CALLS = "calls"
    PAUSES = "pauses"


@dataclass(frozen=True, slots=True)
class Queue:
    id: str
    name: str
    number: str | None = None
    calls_waiting: int | None = None
    longest_wait_s: int | None = None
    agents_total: int | None = None
    agents_ready: int | None = None
    agents_busy: int | None = None
    agents_paused: int | None = None
    answered: int | None = None
    abandoned: int | None = None
    service_level_pct: float | None = None
    sl_threshold_s: int | None = None
    avg_wait_s: int | None = None
    avg_talk_s: int | None = None
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    login: str
    name: str
    status: AgentStatus
    raw_status: str
    extension: str | None = None
    status_since: datetime | None = None
    pause_reason_id: str | None = None
    pause_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Membership:
    agent_id: str
    queue_id: str
    penalty: int | None = None
    static: bool = False
    logged_in: bool = True


@dataclass(frozen=True, slots=True)
class WaitingCall:
    queue_id: str
    position: int
    caller: str
    wait_s: int | None = None
    caller_name: str | None = None
    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class ActiveCall:
    call_id: str
    agent_id: str | None
    queue_id: str | None
    direction: CallDirection | None
    number: str
    state: AgentStatus
    since: datetime | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class PauseReason:
    id: str
    title: str
    type: PauseType = PauseType.NORMAL
    paid: bool | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one poll saw. Collections are tuples sorted by identity so that equal
    states compare equal regardless of the order the vendor listed them in."""

    taken_at: datetime
    queues: tuple[Queue, ...] = ()
    agents: tuple[Agent, ...] = ()
    memberships: tuple[Membership, ...] = ()
    waiting_calls: tuple[WaitingCall, ...] = ()
    active_calls: tuple[ActiveCall, ...] = ()
    pause_reasons: tuple[PauseReason, ...] = ()
    failed: frozenset[Endpoint] = field(default_factory=frozenset)
    errors: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        taken_at: datetime,
        queues: list[Queue] | tuple[Queue, ...] = (),
        agents: list[Agent] | tuple[Agent, ...] = (),
        memberships: list[Membership] | tuple[Membership, ...] = (),
        waiting_calls: list[WaitingCall] | tuple[WaitingCall, ...] = (),
        active_calls: list[ActiveCall] | tuple[ActiveCall, ...] = (),
        pause_reasons: list[PauseReason] | tuple[PauseReason, ...] = (),
        failed: frozenset[Endpoint] = frozenset(),
        errors: tuple[str, ...] = (),
    ) -> Snapshot:
        return cls(
            taken_at=taken_at,
            queues=tuple(sorted(queues, key=lambda q: q.id)),
            agents=tuple(sorted(agents, key=lambda a: a.id)),
            memberships=tuple(sorted(memberships, key=lambda m: (m.agent_id, m.queue_id))),
            waiting_calls=tuple(sorted(waiting_calls, key=lambda w: (w.queue_id, w.position))),
            active_calls=tuple(sorted(active_calls, key=lambda c: c.call_id)),
            pause_reasons=tuple(sorted(pause_reasons, key=lambda p: p.id)),
            failed=failed,
            errors=errors,
        )
