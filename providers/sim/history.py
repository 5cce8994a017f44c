"""Days of call-center history from the engine, fast: no HTTP, no poll, no clock to wait for.

``simulate_history`` runs a ``CallCenter`` on a ``ManualClock`` over a past window and yields
what the history tables keep, in time order: every agent status change (``StatusChange``)
and each queue's headline figures (``QueueFigures``) at most every ``sample_every_s``
seconds, only when they changed. Identifiers are the vendor's (``agent_id`` / ``queue_id``
map the engine's to what that vendor's adapter reports), so the events can be written
against an account that polls the same simulator.

With the live simulator's own ``SimConfig`` (same seed, size and load), the history engine
has the same agents and queues as the live one; its counters (answered, abandoned, service
level) restart at each local midnight, as the vendors' daily statistics do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from providers.model import AgentStatus, Queue

from .engine import CallCenter, ManualClock, SimAgent, SimConfig, SimQueue


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An agent entered ``status`` (with ``pause_reason``, the pause's title) at ``at``."""

    agent_id: str
    status: AgentStatus
    pause_reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """A queue's headline figures at ``at``, those a history sample keeps."""

    queue_id: str
    at: datetime
    calls_waiting: int | None
    longest_wait_s: int | None
    agents_ready: int | None
    agents_busy: int | None
    agents_paused: int | None
    service_level_pct: float | None
    answered: int | None
    abandoned: int | None


HistoryEvent = StatusChange | QueueFigures

#: What a vendor shows of an engine agent's status and pause title (see ``SimulatorSpec``).
AgentView = Callable[[AgentStatus, str | None], tuple[AgentStatus, str | None]]


def engine_agent_id(agent: SimAgent) -> str:
    return agent.id


def engine_queue_id(queue: SimQueue) -> str:
    return queue.id


def engine_view(status: AgentStatus, pause_reason: str | None) -> tuple[AgentStatus, str | None]:
    return status, pause_reason


def simulate_history(
    config: SimConfig,
    start: datetime,
    until: datetime,
    *,
    agent_id: Callable[[SimAgent], str] = engine_agent_id,
    queue_id: Callable[[SimQueue], str] = engine_queue_id,
    agent_view: AgentView = engine_view,
    sample_every_s: int = 30,
) -> Iterator[HistoryEvent]:
    """The history of ``[start, until)``, in time order.

    Statuses are as ``agent_view`` says the vendor shows them (SPIKON and VoIPSUN have no
    wrap-up and no pause reasons), and only their changes are events. Each agent's first
    event is its status when the window opens (at the time it entered it, which may be
    before ``start``). ``sample_every_s`` should be the store's spacing
    (``QUEUE_SAMPLE_MIN_SPACING_S``) so that seeded history looks like polled history.
    """
    if sample_every_s < 1:
        raise ValueError("queue figures need a sampling interval of at least 1 s")
    clock = ManualClock(start)
    engine = CallCenter(config, clock)
    pauses = engine.pauses
    vendor_agent = {agent.id: agent_id(agent) for agent in engine.agents.values()}
    vendor_queue = {queue.id: queue_id(queue) for queue in engine.queues.values()}
    changes: list[StatusChange] = []
    shown: dict[str, tuple[AgentStatus, str | None]] = {}

    def change_of(agent: SimAgent, at: datetime) -> StatusChange | None:
        """The change the vendor shows, if it shows one (its view may merge statuses)."""
        pause = pauses.get(agent.pause_id or "")
        view = agent_view(agent.status, pause.title if pause else None)
        if shown.get(agent.id) == view:
            return None
        shown[agent.id] = view
        return StatusChange(vendor_agent[agent.id], view[0], view[1], at)

    def record(agent: SimAgent) -> None:
        change = change_of(agent, engine.now)
        if change is not None:
            changes.append(change)

    opening = [change_of(agent, agent.status_since) for agent in engine.agents.values()]
    yield from sorted((c for c in opening if c is not None), key=lambda change: change.at)
    engine.on_status = record
    zone = ZoneInfo(config.time_zone)
    midnight = _next_midnight(start, zone)
    latest: dict[str, Figures] = {}
    version, waiting = -1, False
    step = timedelta(seconds=sample_every_s)
    sample_at = start + step
    try:
        while sample_at < until:
            if midnight <= sample_at:  # the vendors' daily counters start again
                clock.advance((midnight - clock.now()).total_seconds())
                engine.reset_counters()
                midnight = _next_midnight(midnight, zone)
            clock.advance((sample_at - clock.now()).total_seconds())
            engine.sync()
            yield from changes
            changes.clear()
            # Nothing happened and nobody waits (so no wait grew): the figures stand.
            if engine.version != version or waiting:
                version, waiting = engine.version, False
                for queue in engine.queue_figures():
                    values = _figures(queue)
                    waiting = waiting or bool(queue.calls_waiting)
                    if latest.get(queue.id) != values:
                        latest[queue.id] = values
                        yield QueueFigures(vendor_queue[queue.id], sample_at, *values)
            sample_at += step
    finally:
        engine.on_status = None


Figures = tuple[
    int | None, int | None, int | None, int | None, int | None, float | None, int | None, int | None
]


def _figures(queue: Queue) -> Figures:
    return (
        queue.calls_waiting,
        queue.longest_wait_s,
        queue.agents_ready,
        queue.agents_busy,
        queue.agents_paused,
        queue.service_level_pct,
        queue.answered,
        queue.abandoned,
    )


def _next_midnight(after: datetime, zone: ZoneInfo) -> datetime:
    local = after.astimezone(zone)
    day = (local + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, tzinfo=zone)
