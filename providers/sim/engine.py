"""The shared call-center model every vendor simulator reads and acts on (DESIGN §5).

``CallCenter`` is a deterministic, discrete-time model: simulated time moves in fixed
one-second ticks and every public method first runs the ticks up to ``clock.now()``. With
the same ``SimConfig`` (seed included), the same clock steps and the same actions, two
engines end in identical states: one ``random.Random(seed)`` drives everything, nothing
iterates a hash-ordered set where order matters, and reads never draw random numbers.

One tick, in this order:

1. due timers fire (ring → answer, talk end, wrap-up end, pause start/end, patience);
2. Poisson arrivals per queue (``calls_per_min_per_queue``); a full queue (``capacity``)
   rejects the call and counts it abandoned (under a load profile, below, arrivals are
   timers of step 1 instead);
3. dispatch: each waiting call, oldest first, rings the logged-in idle member with the
   lowest penalty and the longest time idle.

A call then rings for ``ring_s``, is talked for an exponential time around ``avg_talk_s``,
and on completion counts as answered (and within SL if it waited ≤ ``sl_threshold_s``
before the answer); the agent wraps up (status ``WRAP_UP`` with the wrap pause) for
``wrap_up_s`` and becomes idle again. Waiting calls abandon after an exponential patience
around ``patience_s``. Idle agents take a random normal pause at ``pause_rate_per_hour``
for about ``avg_pause_s``; pauses set through ``pause()`` last until ``unpause()``.

Idle agents are indexed per queue, and timers live in a heap, so a tick costs O(due timers
+ queues + idle members of queues with waiting calls), never O(agents * calls).

``SimConfig.load`` (a ``LoadProfile``, named in ``LOADS``: quiet, normal, busy) replaces the
flat rate with a centre's day: per queue, arrivals following ``DAY_SHAPE`` with a busy hour
(a Poisson process thinned by the hour's factor, so exact at any tick), its own talk time
and callers' patience, and waves of callers (surges) on one queue at a time. The engine
then starts a warm-up into its day, and skips the ticks at which nothing is due, so a week
of history runs in about a second (``providers.sim.history``).

Thread safety: one ``RLock`` (``lock``) around every public method; ``changed`` is a
condition on that lock, notified whenever the state changes, for long-polling readers.
Simulators read the raw state inside ``with engine.locked():``.

Actions (``pause``, ``unpause``, ``login``, ``logout``, ``login_queue``, ``logout_queue``,
``add_member``, ``remove_member``, ``hangup``, ``hangup_agent``, ``hold``, ``unhold``,
``transfer``, ``monitor``, ``originate``, ``pickup``) and the test helpers (``set_status``,
``add_waiting_call``, ``set_device``) change the state at once, so the next read shows
it. They return None, except ``originate`` and ``add_waiting_call`` (the new call id) and
``monitor`` (the session), and raise ``SimError`` with ``kind`` ``not_found``,
``refused`` or ``invalid``.

``truth()`` is the ground truth in the normalised model. What each vendor simulator is
expected to reproduce, and so what an adapter reading it should recover:

- all vendors: queue ``calls_waiting`` and ``longest_wait_s``; agent status and, where the
  vendor has them, ``status_since`` and pause reason; waiting calls with caller number.
- Daktela: queues (id, number, name, agents_total/ready/busy/paused counts), agents (id,
  login, name, extension, status incl. WRAP_UP via the wrap pause, status_since, pause
  reason), memberships (penalty = priority, static = auto login, logged_in = rt_logged),
  waiting and active calls (RTStatsCalls), pause reasons. Daktela shows UNAVAILABLE only
  through DeviceStates; it reports no answered/abandoned/SL/average counters.
- SPIKON: per campaign waiting, longest wait, answered, abandoned, SL %, averages,
  capacity, free/busy/paused members; agents as members (no WRAP_UP, no DIALING).
- VoIPSUN: per queue members with penalty and static/dynamic, paused flag, device state,
  answered (completed), abandoned, SL %, hold and talk averages, capacity; active calls
  with channel (``listcalls``).

Counting rules used by ``truth()``: ``agents_total`` = logged-in members of a logged-in
agent; ``agents_ready`` = of those IDLE; ``agents_busy`` = RINGING, DIALING, TALKING,
ON_HOLD; ``agents_paused`` = PAUSED or WRAP_UP. ``service_level_pct`` = answered within
SL / (answered + abandoned) * 100, ``None`` before the first finished call;
``avg_wait_s`` and ``avg_talk_s`` are over answered calls, ``None`` before the first.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import random
import threading
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from providers.model import (
    ActiveCall,
    Agent,
    AgentStatus,
    CallDirection,
    Membership,
    PauseReason,
    PauseType,
    Queue,
    Snapshot,
    WaitingCall,
)

CallState = Literal["waiting", "ringing", "talking", "on_hold"]
ErrorKind = Literal["not_found", "refused", "invalid"]
MonitorMode = Literal["spy", "whisper", "whisperprivate", "barge", "interactive"]
MONITOR_MODES: tuple[str, ...] = ("spy", "whisper", "whisperprivate", "barge", "interactive")

ON_CALL = frozenset(
    {AgentStatus.RINGING, AgentStatus.DIALING, AgentStatus.TALKING, AgentStatus.ON_HOLD}
)
BUSY = ON_CALL
PAUSED_LIKE = frozenset({AgentStatus.PAUSED, AgentStatus.WRAP_UP})

HOSTILE_NAMES = (
    "<img src=x onerror=alert(1)>",
    '<div id="queue-1" hx-swap-oob="true">',
    '"><script>alert("x")</script>',
    "{{ 7*7 }} & {% csrf_token %}",
)

FIRST_NAMES = (
    "Jan",
    "Petr",
    "Pavel",
    "Tomáš",
    "Martin",
    "Jiří",
    "Lukáš",
    "Jakub",
    "Ondřej",
    "Michal",
    "Eva",
    "Jana",
    "Lucie",
    "Petra",
    "Kateřina",
    "Tereza",
    "Hana",
    "Markéta",
    "Zuzana",
    "Lenka",
    "Piotr",
    "Krzysztof",
    "Andrzej",
    "Tomasz",
    "Paweł",
    "Agnieszka",
    "Małgorzata",
    "Anna",
    "Katarzyna",
    "Magdalena",
)
LAST_NAMES = (
    "Novák",
    "Svoboda",
    "Novotný",
    "Dvořák",
    "Černý",
    "Procházka",
    "Kučera",
    "Veselý",
    "Horák",
    "Němec",
    "Marek",
    "Pokorný",
    "Král",
    "Růžička",
    "Beneš",
    "Fiala",
    "Sedláček",
    "Doležal",
    "Zeman",
    "Kolář",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
)
QUEUE_NAMES = (
    "Support",
    "Sales",
    "Billing",
    "Technical",
    "Retention",
    "VIP",
    "Complaints",
    "Orders",
    "Returns",
    "Partners",
)
CALLER_NAMES = ("Alza.cz", "Karel Malý", "Firma s.r.o.", "Iveta Bartošová", "Pan Kowalczyk")


class SimError(Exception):
    """An action the engine refuses. ``kind`` decides how a simulator reports it.

    ``call_number`` is the caller of the call that blocked the action, where there is one
    (Daktela's LogoutQueue refusal names it).
    """

    def __init__(self, kind: ErrorKind, message: str, *, call_number: str | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.call_number = call_number


#: How many of the busy hour's calls come in each hour of the local day (hour 0 is
#: 00:00-01:00): a morning busy hour, a lunch dip, an afternoon shoulder, a quiet night.
DAY_SHAPE: tuple[float, ...] = (
    0.06, 0.04, 0.03, 0.03, 0.04, 0.07, 0.15, 0.35, 0.65, 0.90, 1.00, 0.90,
    0.62, 0.66, 0.74, 0.68, 0.56, 0.42, 0.30, 0.22, 0.16, 0.12, 0.09, 0.07,
)  # fmt: skip
BUSY_HOUR = DAY_SHAPE.index(max(DAY_SHAPE))


def day_factor(hour: float) -> float:
    """``DAY_SHAPE`` at a local time of day in hours (0 ≤ hour < 24, 10.5 = 10:30),
    interpolated between the middles of the hours."""
    position = (hour - 0.5) % 24
    low = math.floor(position)
    weight = position - low
    return DAY_SHAPE[low] * (1 - weight) + DAY_SHAPE[(low + 1) % 24] * weight


@dataclass(frozen=True)
class QueueLoad:
    """One queue's callers: how hard they press on its staff (1 = as the profile says),
    when its day peaks, how long they talk and how long they wait before hanging up (both
    means of exponentials)."""

    pressure: float
    avg_talk_s: float
    patience_s: float
    busy_hour_shift_h: float = 0.0


@dataclass(frozen=True)
class LoadProfile:
    """Arrivals over the day, handle times and patience, per queue (queue n takes
    ``queues[(n - 1) % len(queues)]``).

    At the busy hour each queue is offered enough calls to keep ``peak_occupancy`` (times
    its ``pressure``) of the agents logged into it busy: Erlangs per agent, each call
    taking ring + talk + wrap-up time, an agent in k queues counting 1/k in each. The
    rest of the day follows ``DAY_SHAPE``. The engine starts ``warm_up_s`` into its day
    (the day's counters have those hours behind them): calls are being talked from the
    first second, as in a centre that was open before anyone looked at the board.
    """

    name: str
    peak_occupancy: float
    queues: tuple[QueueLoad, ...]
    warm_up_s: int = 4 * 3600
    # Surges: one every ``surge_every_s`` on average (0: none), each bringing one queue
    # ``surge_factor`` times its calls for ``surge_s``; and (unless 0) one of
    # ``opening_surge_factor`` already half-way through as the board opens.
    surge_every_s: float = 0.0
    surge_s: int = 180
    surge_factor: float = 3.0
    opening_surge_factor: float = 0.0


#: The demo's four queues: a large general line, sales with short calls, billing with
#: impatient callers, technical support with long calls; the pattern repeats for more.
_QUEUES = (
    QueueLoad(pressure=1.1, avg_talk_s=200, patience_s=180),
    QueueLoad(pressure=1.0, avg_talk_s=150, patience_s=150, busy_hour_shift_h=1),
    QueueLoad(pressure=1.0, avg_talk_s=170, patience_s=120, busy_hour_shift_h=-1),
    QueueLoad(pressure=0.85, avg_talk_s=300, patience_s=300, busy_hour_shift_h=2),
)

LOADS: dict[str, LoadProfile] = {
    "quiet": LoadProfile("quiet", peak_occupancy=0.25, queues=_QUEUES),
    "normal": LoadProfile(
        "normal", peak_occupancy=0.5, queues=_QUEUES, surge_every_s=1200, surge_factor=3.0
    ),
    # A centre that is stretched: its busy hour keeps most agents on calls, a wave hits
    # one queue every 10 minutes or so, and the board opens in a strong one on the
    # busiest queue: callers queue up, wait past the thresholds, and the queue drains.
    "busy": LoadProfile(
        "busy",
        peak_occupancy=0.55,
        queues=_QUEUES,
        surge_every_s=600,
        surge_factor=4.0,
        opening_surge_factor=10.0,
    ),
}


@dataclass(frozen=True)
class SimConfig:
    """``load`` None is the plain model (``calls_per_min_per_queue`` every minute of the
    day, the same ``avg_talk_s`` and ``patience_s`` for every queue); a ``LoadProfile``
    replaces those three. ``busy_hour_at`` places the profile's day: None follows the
    local clock in ``time_zone`` (the busy hour at ``BUSY_HOUR`` o'clock); a time makes
    the busy hour begin then, and again every 24 hours after."""

    agents: int = 20
    queues: int = 3
    seed: int = 1
    calls_per_min_per_queue: float = 2.0
    avg_talk_s: float = 90
    wrap_up_s: int = 10
    ring_s: int = 4
    patience_s: float = 120
    pause_rate_per_hour: float = 2.0
    avg_pause_s: float = 300
    sl_threshold_s: int = 20
    time_zone: str = "Europe/Prague"
    names: Literal["normal", "hostile"] = "normal"
    queue_capacity: int = 30
    load: LoadProfile | None = None
    busy_hour_at: datetime | None = None


@dataclass
class _Arrivals:
    """One queue's callers under a load profile."""

    load: QueueLoad
    rate: float  # calls per second at the busy hour
    next_s: float = 0.0  # the next candidate arrival, seconds after tick 0
    surge_until: int = 0  # tick
    surge_factor: float = 1.0
    token: int = 0  # of the pending "arrive" timer


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for tests and benchmarks."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a tz-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


Clock = RealClock | ManualClock


@dataclass
class SimQueue:
    id: str
    number: str
    name: str
    direction: str = "in"
    capacity: int = 30
    answered: int = 0
    abandoned: int = 0
    answered_within_sl: int = 0
    total_wait_s: float = 0.0
    total_talk_s: float = 0.0
    waiting: dict[str, None] = field(default_factory=dict)  # call ids, oldest first
    member_ids: dict[str, None] = field(default_factory=dict)
    idle_ids: set[str] = field(default_factory=set)  # logged-in idle members (unordered)


@dataclass
class SimAgent:
    id: str
    seq: int
    login: str
    name: str
    extension: str
    number: str
    pin: str
    logged_in: bool
    status: AgentStatus
    status_since: datetime
    logged_in_at: datetime | None = None
    pause_id: str | None = None
    device_ok: bool = True
    call_id: str | None = None
    queue_ids: dict[str, None] = field(default_factory=dict)
    timer_token: int = 0
    auto_pause: bool = False


@dataclass
class SimMembership:
    agent_id: str
    queue_id: str
    penalty: int
    logged_in: bool
    static: bool


@dataclass
class SimCall:
    id: str
    queue_id: str | None
    caller: str
    caller_name: str | None
    direction: CallDirection
    state: CallState
    entered_at: datetime
    channel: str
    seq: int = 0
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    held_at: datetime | None = None
    agent_id: str | None = None
    token: int = 0
    talk_s: int = 0


@dataclass(frozen=True)
class SimPause:
    id: str
    code: str
    title: str
    type: PauseType
    paid: bool


@dataclass(frozen=True)
class SimMonitor:
    agent_id: str
    call_id: str
    listener_extension: str
    mode: str
    started_at: datetime


def _ascii_login(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if c.isascii() and c.isalnum()).lower() or "agent"


class CallCenter:
    """The simulated call center. See the module docstring."""

    def __init__(self, config: SimConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or SimConfig()
        self.clock: Clock = clock or RealClock()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.version = 0
        self._rng = random.Random(self.config.seed)
        opened = self.clock.now().astimezone(UTC).replace(microsecond=0)
        load = self.config.load
        # Tick 0. With a load profile the engine was "open" for its warm-up already.
        self.start = opened - timedelta(seconds=load.warm_up_s) if load else opened
        self._tick = 0
        self.now = self.start
        self._timers: list[tuple[int, int, str, str, int]] = []
        self._timer_seq = 0
        self._call_seq = 0
        self.queues: dict[str, SimQueue] = {}
        self.agents: dict[str, SimAgent] = {}
        self.memberships: dict[tuple[str, str], SimMembership] = {}
        self.calls: dict[str, SimCall] = {}
        self.monitors: dict[str, SimMonitor] = {}
        self.last_transfer_attended: bool | None = None
        self.pauses: dict[str, SimPause] = {
            p.id: p
            for p in (
                SimPause("2", "20", "Wrap", PauseType.WRAP, True),
                SimPause("3", "666", "Lajdak", PauseType.OTHER, False),
                SimPause("4", "13", "Backoffice", PauseType.NORMAL, True),
                SimPause("6", "11", "Break", PauseType.NORMAL, False),
                SimPause("7", "10", "Lunch", PauseType.NORMAL, False),
            )
        }
        if self.config.names == "hostile":
            for pause_id, title in (("3", HOSTILE_NAMES[2]), ("6", HOSTILE_NAMES[1])):
                self.pauses[pause_id] = replace(self.pauses[pause_id], title=title)
        self.wrap_pause_id = "2"
        self._normal_pause_ids = [p.id for p in self.pauses.values() if p.type is PauseType.NORMAL]
        self._by_login: dict[str, str] = {}
        self._by_extension: dict[str, str] = {}
        self._by_queue_number: dict[str, str] = {}
        self._arrivals: dict[str, _Arrivals] = {}  # per queue, with a load profile
        # Where the profile's day stands: by the local clock in this zone, or (None) at
        # this many hours into the day at tick 0, counted on from there.
        self._zone: zoneinfo.ZoneInfo | None = None
        self._hour_at_start = 0.0
        #: Called with an agent whenever its status or pause changes (history recording).
        self.on_status: Callable[[SimAgent], None] | None = None
        self._build()
        if load is not None:
            self._start_arrivals(load)
            self.sync()  # the warm-up

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        cfg, rng = self.config, self._rng
        for i in range(1, cfg.queues + 1):
            base = QUEUE_NAMES[(i - 1) % len(QUEUE_NAMES)]
            name = base if i <= len(QUEUE_NAMES) else f"{base} {(i - 1) // len(QUEUE_NAMES) + 1}"
            if cfg.names == "hostile" and i % 2 == 0:
                name = f"{HOSTILE_NAMES[(i // 2) % len(HOSTILE_NAMES)]} {i}"
            queue = SimQueue(
                id=str(i), number=str(2000 + i - 1), name=name, capacity=cfg.queue_capacity
            )
            self.queues[queue.id] = queue
            self._by_queue_number[queue.number] = queue.id
        used_logins: set[str] = set()
        queue_ids = list(self.queues)
        for i in range(1, cfg.agents + 1):
            first = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
            last = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
            login = base_login = _ascii_login(last)
            n = 1
            while login in used_logins:
                n += 1
                login = f"{base_login}{n}"
            used_logins.add(login)
            name = f"{first} {last}"
            if cfg.names == "hostile" and i % 3 == 1:
                name = HOSTILE_NAMES[(i // 3) % len(HOSTILE_NAMES)]
            logged_in = rng.random() >= 0.1
            since = self.start - timedelta(seconds=rng.randrange(30, 3600))
            agent = SimAgent(
                id=str(i),
                seq=i,
                login=login,
                name=name,
                extension=str(500 + i - 1),
                number=str(1000 + i),
                pin=f"{rng.randrange(10000):04d}",
                logged_in=logged_in,
                status=AgentStatus.LOGGED_IN if logged_in else AgentStatus.OFFLINE,
                status_since=since,
                logged_in_at=since - timedelta(seconds=rng.randrange(0, 7200))
                if logged_in
                else None,
            )
            self.agents[agent.id] = agent
            self._by_login[login] = agent.id
            self._by_extension[agent.extension] = agent.id
            if queue_ids:
                chosen = [queue_ids[(i - 1) % len(queue_ids)]]
                for _ in range(rng.randrange(0, 3)):
                    qid = queue_ids[rng.randrange(len(queue_ids))]
                    if qid not in chosen:
                        chosen.append(qid)
                for qid in chosen:
                    static = rng.random() < 0.5
                    self._add_membership(agent, qid, rng.randrange(3), logged_in, static)
            if logged_in:
                if rng.random() < 0.15:
                    pause_id = self._normal_pause_ids[rng.randrange(len(self._normal_pause_ids))]
                    self._set_status(
                        agent, AgentStatus.PAUSED, pause_id, auto=True, keep_since=True
                    )
                else:
                    self._set_status(agent, self._ready_status(agent), keep_since=True)

    def _add_membership(
        self, agent: SimAgent, queue_id: str, penalty: int, logged_in: bool, static: bool
    ) -> SimMembership:
        membership = SimMembership(agent.id, queue_id, penalty, logged_in, static)
        self.memberships[(agent.id, queue_id)] = membership
        agent.queue_ids[queue_id] = None
        self.queues[queue_id].member_ids[agent.id] = None
        return membership

    def _start_arrivals(self, load: LoadProfile) -> None:
        """Each queue is offered calls for the agents staffing it (an agent logged into k
        queues counts 1/k in each), times its ``pressure``."""
        cfg = self.config
        staffing = {
            agent.id: [q for q in agent.queue_ids if self.memberships[(agent.id, q)].logged_in]
            for agent in self.agents.values()
            if agent.logged_in
        }
        for index, queue_id in enumerate(self.queues):
            queue_load = load.queues[index % len(load.queues)]
            staff = sum(1 / len(queues) for queues in staffing.values() if queue_id in queues)
            handle_s = cfg.ring_s + queue_load.avg_talk_s + cfg.wrap_up_s
            erlangs = load.peak_occupancy * queue_load.pressure * staff
            self._arrivals[queue_id] = _Arrivals(queue_load, erlangs / handle_s)
            self._restart_arrivals(queue_id)
        if cfg.busy_hour_at is None:
            self._zone = zoneinfo.ZoneInfo(cfg.time_zone)
        else:
            since = (self.start - cfg.busy_hour_at.astimezone(UTC)).total_seconds()
            self._hour_at_start = BUSY_HOUR + since / 3600
        if load.opening_surge_factor > 0:
            self._schedule(load.warm_up_s - load.surge_s // 2, "surge", "opening", 0)
        if load.surge_every_s > 0:
            self._schedule(load.warm_up_s + self._expo(load.surge_every_s), "surge", "", 0)

    def load_factor(self, queue_id: str, at: datetime) -> float:
        """The share of its busy-hour calls ``queue_id`` gets at ``at`` (surges aside)."""
        return self._factor(self._arrivals[queue_id].load, (at - self.start).total_seconds())

    def _factor(self, queue_load: QueueLoad, at_s: float) -> float:
        if self._zone is None:
            hour = self._hour_at_start + at_s / 3600
        else:
            local = (self.start + timedelta(seconds=at_s)).astimezone(self._zone)
            hour = local.hour + local.minute / 60 + local.second / 3600
        return day_factor(hour - queue_load.busy_hour_shift_h)

    def _restart_arrivals(self, queue_id: str) -> None:
        """Draw the queue's next candidate arrival afresh from now, at the rate that holds
        now (Poisson arrivals have no memory, so this changes nothing but the rate).

        Candidates come at the busy-hour rate (times the surge factor during a surge) and
        ``_arrive_due`` keeps each with the day's factor at its time: thinning, a Poisson
        process whose rate follows the day exactly however many ticks are skipped.
        """
        arrivals = self._arrivals[queue_id]
        arrivals.token += 1
        rate = self._candidate_rate(arrivals)
        if rate <= 0:
            return
        arrivals.next_s = self._tick + self._rng.expovariate(rate)
        self._schedule_arrival(queue_id, arrivals)

    def _candidate_rate(self, arrivals: _Arrivals) -> float:
        if self._tick < arrivals.surge_until:
            return arrivals.rate * arrivals.surge_factor
        return arrivals.rate

    def _schedule_arrival(self, queue_id: str, arrivals: _Arrivals) -> None:
        self._timer_seq += 1
        due = math.ceil(arrivals.next_s)
        heapq.heappush(self._timers, (due, self._timer_seq, "arrive", queue_id, arrivals.token))

    def _arrive_due(self, queue_id: str, token: int) -> None:
        arrivals = self._arrivals[queue_id]
        if arrivals.token != token:
            return
        queue = self.queues[queue_id]
        rate = self._candidate_rate(arrivals)
        while arrivals.next_s <= self._tick:
            if self._rng.random() < self._factor(arrivals.load, arrivals.next_s):
                self._arrive(queue, self._random_caller(), self._random_caller_name())
            arrivals.next_s += self._rng.expovariate(rate)
        self._schedule_arrival(queue_id, arrivals)

    def _surge(self, opening: bool) -> None:
        """A wave of callers (a mailing, an outage, a TV spot) hits one queue for a while:
        a random one, or at the opening the queue with the most calls."""
        load = self.config.load
        if load is None or not self._arrivals:
            return
        queue_ids = list(self._arrivals)
        if opening:
            queue_id = max(queue_ids, key=lambda q: self._arrivals[q].rate)
        else:
            queue_id = queue_ids[self._rng.randrange(len(queue_ids))]
            self._schedule(self._expo(load.surge_every_s), "surge", "", 0)
        arrivals = self._arrivals[queue_id]
        arrivals.surge_until = self._tick + load.surge_s
        arrivals.surge_factor = load.opening_surge_factor if opening else load.surge_factor
        self._restart_arrivals(queue_id)
        self._schedule(load.surge_s, "surge_end", queue_id, 0)

    def _surge_end(self, queue_id: str) -> None:
        if self._tick >= self._arrivals[queue_id].surge_until:  # not prolonged by another
            self._restart_arrivals(queue_id)

    # ------------------------------------------------------------------ time

    @contextlib.contextmanager
    def locked(self) -> Iterator[CallCenter]:
        """Hold the lock with the state synced to the clock; for simulators reading state."""
        with self.lock:
            self._sync()
            yield self

    def sync(self) -> None:
        with self.lock:
            self._sync()

    def wait_for_change(self, timeout_s: float) -> None:
        """Block until an action or tick changes the state, or ``timeout_s`` passes.

        Ticks run lazily, so a waiter should call this in short slices and re-read.
        """
        with self.lock:
            self.changed.wait(timeout_s)

    def _sync(self) -> None:
        target = self.clock.now()
        before = self.version
        last = (target - self.start) // timedelta(seconds=1)
        # With a load profile arrivals are timers too, so a tick with no timer due and no
        # caller an idle agent could take changes nothing: skip to the next timer.
        skips = self.config.load is not None
        while self._tick < last:
            if skips and not self._dispatch_due():
                due = self._timers[0][0] if self._timers else last
                self._tick = max(self._tick, min(due, last) - 1)
            self._tick += 1
            self.now = self.start + timedelta(seconds=self._tick)
            self._run_tick()
        if self.version != before:
            self.changed.notify_all()

    def _dispatch_due(self) -> bool:
        return any(queue.waiting and queue.idle_ids for queue in self.queues.values())

    def _touch(self) -> None:
        self.version += 1

    def _run_tick(self) -> None:
        timers = self._timers
        while timers and timers[0][0] <= self._tick:
            _, _, kind, target, token = heapq.heappop(timers)
            self._fire(kind, target, token)
        lam = self.config.calls_per_min_per_queue / 60.0
        if lam > 0 and self.config.load is None:
            limit = math.exp(-lam)
            rng = self._rng
            for queue in self.queues.values():
                # Knuth's Poisson sampler; lam is small, so this is one or two draws.
                k, product = 0, rng.random()
                while product > limit:
                    k += 1
                    product *= rng.random()
                for _ in range(k):
                    self._arrive(queue, self._random_caller(), self._random_caller_name())
        self._dispatch()

    def _schedule(self, delay_s: int, kind: str, target: str, token: int) -> None:
        self._timer_seq += 1
        heapq.heappush(
            self._timers, (self._tick + max(1, delay_s), self._timer_seq, kind, target, token)
        )

    def _expo(self, mean: float, minimum: int = 1) -> int:
        if mean <= 0:
            return minimum
        return max(minimum, round(self._rng.expovariate(1.0 / mean)))

    def _fire(self, kind: str, target: str, token: int) -> None:
        if kind == "arrive":
            self._arrive_due(target, token)
            return
        if kind == "surge":
            self._surge(opening=target == "opening")
            return
        if kind == "surge_end":
            self._surge_end(target)
            return
        if kind == "agent":
            agent = self.agents[target]
            if agent.timer_token != token:
                return
            if agent.status is AgentStatus.IDLE and self._normal_pause_ids:
                pause_id = self._normal_pause_ids[self._rng.randrange(len(self._normal_pause_ids))]
                self._set_status(agent, AgentStatus.PAUSED, pause_id, auto=True)
            elif agent.status is AgentStatus.WRAP_UP or (
                agent.status is AgentStatus.PAUSED and agent.auto_pause
            ):
                self._set_status(agent, self._ready_status(agent))
            return
        call = self.calls.get(target)
        if call is None or call.token != token:
            return
        if kind == "answer" and call.state == "ringing":
            self._answer(call)
        elif kind == "end" and call.state in ("talking", "on_hold"):
            self._finish(call, completed=True)
        elif kind == "abandon" and call.state == "waiting":
            self._finish(call, completed=False)

    # ------------------------------------------------------------------ call flow

    def _random_caller(self) -> str:
        number = f"{self._rng.choice('234567')}{self._rng.randrange(10**8):08d}"
        if self.config.names == "hostile" and int(number) % 3 == 0:
            return HOSTILE_NAMES[int(number) % len(HOSTILE_NAMES)]
        return number

    def _random_caller_name(self) -> str | None:
        roll = self._rng.random()
        if self.config.names == "hostile" and roll < 0.5:
            return HOSTILE_NAMES[self._rng.randrange(len(HOSTILE_NAMES))]
        if roll < 0.3:
            return CALLER_NAMES[self._rng.randrange(len(CALLER_NAMES))]
        return None

    def _new_call(
        self,
        queue_id: str | None,
        caller: str,
        caller_name: str | None,
        direction: CallDirection,
        state: CallState,
        extension: str,
    ) -> SimCall:
        self._call_seq += 1
        call = SimCall(
            id=f"{int(self.now.timestamp())}.{self._call_seq}",
            queue_id=queue_id,
            caller=caller,
            caller_name=caller_name,
            direction=direction,
            state=state,
            entered_at=self.now,
            channel=f"SIP/{extension}-{self._call_seq:08x}",
            seq=self._call_seq,
        )
        self.calls[call.id] = call
        self._touch()
        return call

    def _arrive(self, queue: SimQueue, caller: str, caller_name: str | None) -> SimCall | None:
        if len(queue.waiting) >= queue.capacity:
            queue.abandoned += 1
            self._touch()
            return None
        call = self._new_call(queue.id, caller, caller_name, CallDirection.IN, "waiting", "trunk")
        self._enqueue(call, queue)
        return call

    def _enqueue(self, call: SimCall, queue: SimQueue, *, front: bool = False) -> None:
        call.queue_id = queue.id
        call.state = "waiting"
        call.agent_id = None
        call.ringing_at = call.answered_at = call.held_at = None
        call.token += 1
        if front:
            queue.waiting = {call.id: None, **queue.waiting}
        else:
            queue.waiting[call.id] = None
        arrivals = self._arrivals.get(queue.id)
        patience_s = arrivals.load.patience_s if arrivals else self.config.patience_s
        self._schedule(self._expo(patience_s), "abandon", call.id, call.token)
        self._touch()

    def _dispatch(self) -> None:
        for queue in self.queues.values():
            while queue.waiting and queue.idle_ids:
                agent_id = min(queue.idle_ids, key=self._idle_order(queue.id))
                call_id = next(iter(queue.waiting))
                self._ring(self.calls[call_id], self.agents[agent_id])

    def _idle_order(self, queue_id: str) -> Callable[[str], tuple[int, datetime, int]]:
        agents, memberships = self.agents, self.memberships

        def key(agent_id: str) -> tuple[int, datetime, int]:
            agent = agents[agent_id]
            return (memberships[(agent_id, queue_id)].penalty, agent.status_since, agent.seq)

        return key

    def _ring(self, call: SimCall, agent: SimAgent) -> None:
        if call.queue_id is not None:
            self.queues[call.queue_id].waiting.pop(call.id, None)
        call.state = "ringing"
        call.agent_id = agent.id
        call.ringing_at = self.now
        call.answered_at = None
        call.channel = f"SIP/{agent.extension}-{call.seq:08x}"
        call.token += 1
        agent.call_id = call.id
        self._set_status(agent, AgentStatus.RINGING)
        self._schedule(self.config.ring_s, "answer", call.id, call.token)

    def _answer(self, call: SimCall) -> None:
        call.state = "talking"
        call.answered_at = self.now
        call.token += 1
        arrivals = self._arrivals.get(call.queue_id or "")
        talk_s = arrivals.load.avg_talk_s if arrivals else self.config.avg_talk_s
        call.talk_s = self._expo(talk_s, minimum=5)
        self._schedule(call.talk_s, "end", call.id, call.token)
        agent = self.agents[call.agent_id] if call.agent_id else None
        if agent is not None and agent.status in (AgentStatus.RINGING, AgentStatus.DIALING):
            self._set_status(agent, AgentStatus.TALKING)
        self._touch()

    def _finish(self, call: SimCall, *, completed: bool) -> None:
        """Remove a call: ``completed`` (answered and talked) or abandoned by the caller."""
        queue = self.queues.get(call.queue_id) if call.queue_id else None
        if queue is not None:
            queue.waiting.pop(call.id, None)
            if call.direction is CallDirection.IN:
                if completed and call.answered_at is not None:
                    wait_s = (call.answered_at - call.entered_at).total_seconds()
                    queue.answered += 1
                    queue.total_wait_s += wait_s
                    queue.total_talk_s += (self.now - call.answered_at).total_seconds()
                    if wait_s <= self.config.sl_threshold_s:
                        queue.answered_within_sl += 1
                elif call.answered_at is None:
                    queue.abandoned += 1
        self._release_agent(call, wrap=completed and call.answered_at is not None)
        del self.calls[call.id]
        call.token += 1
        self._touch()

    def _release_agent(self, call: SimCall, *, wrap: bool) -> None:
        if call.agent_id is None:
            return
        agent = self.agents[call.agent_id]
        call.agent_id = None
        self.monitors.pop(agent.id, None)
        if agent.call_id != call.id:
            return
        agent.call_id = None
        if agent.status in ON_CALL:
            if wrap and call.queue_id is not None and self.config.wrap_up_s > 0:
                self._set_status(agent, AgentStatus.WRAP_UP, self.wrap_pause_id)
            else:
                self._set_status(agent, self._ready_status(agent))

    # ------------------------------------------------------------------ agent state

    def _ready_status(self, agent: SimAgent) -> AgentStatus:
        if not agent.logged_in:
            return AgentStatus.OFFLINE
        if not agent.device_ok:
            return AgentStatus.UNAVAILABLE
        if any(self.memberships[(agent.id, q)].logged_in for q in agent.queue_ids):
            return AgentStatus.IDLE
        return AgentStatus.LOGGED_IN

    def _set_status(
        self,
        agent: SimAgent,
        status: AgentStatus,
        pause_id: str | None = None,
        *,
        auto: bool = False,
        keep_since: bool = False,
    ) -> None:
        before = (agent.status, agent.pause_id)
        if status is not agent.status and not keep_since:
            agent.status_since = self.now
        agent.status = status
        agent.pause_id = pause_id if status in PAUSED_LIKE else None
        if self.on_status is not None and (agent.status, agent.pause_id) != before:
            self.on_status(agent)
        agent.auto_pause = auto and status is AgentStatus.PAUSED
        agent.timer_token += 1
        self._reindex(agent)
        if status is AgentStatus.IDLE and self.config.pause_rate_per_hour > 0:
            delay = self._expo(3600.0 / self.config.pause_rate_per_hour)
            self._schedule(delay, "agent", agent.id, agent.timer_token)
        elif status is AgentStatus.WRAP_UP:
            self._schedule(self.config.wrap_up_s, "agent", agent.id, agent.timer_token)
        elif agent.auto_pause:
            self._schedule(
                self._expo(self.config.avg_pause_s, minimum=30),
                "agent",
                agent.id,
                agent.timer_token,
            )
        self._touch()

    def _reindex(self, agent: SimAgent) -> None:
        idle = agent.status is AgentStatus.IDLE and agent.logged_in
        for queue_id in agent.queue_ids:
            queue = self.queues[queue_id]
            if idle and self.memberships[(agent.id, queue_id)].logged_in:
                queue.idle_ids.add(agent.id)
            else:
                queue.idle_ids.discard(agent.id)

    def _refresh_ready(self, agent: SimAgent) -> None:
        """After a membership change, move an available agent between IDLE and LOGGED_IN."""
        if agent.status in (AgentStatus.IDLE, AgentStatus.LOGGED_IN):
            status = self._ready_status(agent)
            if status is not agent.status:
                self._set_status(agent, status)
                return
        self._reindex(agent)

    # ------------------------------------------------------------------ lookups

    def _agent(self, agent_id: str) -> SimAgent:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise SimError("not_found", f"agent {agent_id!r} does not exist") from None

    def _queue(self, queue_id: str) -> SimQueue:
        try:
            return self.queues[queue_id]
        except KeyError:
            raise SimError("not_found", f"queue {queue_id!r} does not exist") from None

    def _call(self, call_id: str) -> SimCall:
        try:
            return self.calls[call_id]
        except KeyError:
            raise SimError("not_found", f"call {call_id!r} does not exist") from None

    def agent_id_by_login(self, login: str) -> str | None:
        return self._by_login.get(login)

    def agent_id_by_extension(self, extension: str) -> str | None:
        return self._by_extension.get(extension)

    def queue_id_by_number(self, number: str) -> str | None:
        return self._by_queue_number.get(number)

    # ------------------------------------------------------------------ actions

    def pause(self, agent_id: str, pause_id: str | None, *, force: bool = False) -> None:
        """Pause an agent; ``pause_id`` None takes the first normal pause."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            if pause_id is None:
                pause_id = self._normal_pause_ids[0]
            if pause_id not in self.pauses:
                raise SimError("not_found", f"pause {pause_id!r} does not exist")
            if not agent.logged_in:
                raise SimError("refused", "the agent is not logged in")
            if agent.status in ON_CALL:
                if not force:
                    raise SimError("refused", f"the agent is {agent.status.name.lower()}")
                call = self.calls.get(agent.call_id or "")
                if call is not None and call.state == "ringing" and call.queue_id is not None:
                    # The ring is cancelled; the caller keeps the head of the queue.
                    agent.call_id = None
                    self._enqueue(call, self.queues[call.queue_id], front=True)
            self._set_status(agent, AgentStatus.PAUSED, pause_id)
            self.changed.notify_all()

    def unpause(self, agent_id: str) -> None:
        """End a pause or a wrap-up; an agent still on a (force-paused) call goes back to it."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            if not agent.logged_in:
                raise SimError("refused", "the agent is not logged in")
            if agent.status in PAUSED_LIKE:
                call = self.calls.get(agent.call_id or "")
                if call is not None:
                    status = (
                        AgentStatus.ON_HOLD if call.state == "on_hold" else (AgentStatus.TALKING)
                    )
                    self._set_status(agent, status)
                else:
                    self._set_status(agent, self._ready_status(agent))
            self.changed.notify_all()

    def login(self, agent_id: str, extension: str | None = None) -> None:
        """Log into the call center; static (auto) memberships log in with the agent."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            if extension:
                other = self._by_extension.get(extension)
                if other is not None and other != agent.id and self.agents[other].logged_in:
                    raise SimError("refused", f"extension {extension} is in use")
                self._by_extension.pop(agent.extension, None)
                agent.extension = extension
                self._by_extension[extension] = agent.id
            if not agent.logged_in:
                agent.logged_in = True
                agent.logged_in_at = self.now
                for queue_id in agent.queue_ids:
                    membership = self.memberships[(agent.id, queue_id)]
                    if membership.static:
                        membership.logged_in = True
                self._set_status(agent, self._ready_status(agent))
            self.changed.notify_all()

    def logout(self, agent_id: str) -> None:
        """Log out of the call center and of every queue; refused during a call."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            if agent.call_id is not None:
                call = self.calls[agent.call_id]
                raise SimError("refused", "the agent is on a call", call_number=call.caller)
            if agent.logged_in:
                agent.logged_in = False
                agent.logged_in_at = None
                for queue_id in agent.queue_ids:
                    self.memberships[(agent.id, queue_id)].logged_in = False
                self._set_status(agent, AgentStatus.OFFLINE)
            self.changed.notify_all()

    def login_queue(self, agent_id: str, queue_id: str, penalty: int | None = None) -> None:
        """Log an agent into a queue, adding a dynamic membership when there is none."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            self._queue(queue_id)
            if penalty is not None and penalty < 0:
                raise SimError("invalid", "penalty must not be negative")
            if not agent.logged_in:
                raise SimError("refused", "the agent is not logged in")
            membership = self.memberships.get((agent_id, queue_id))
            if membership is None:
                membership = self._add_membership(agent, queue_id, penalty or 0, True, False)
            membership.logged_in = True
            if penalty is not None:
                membership.penalty = penalty
            self._refresh_ready(agent)
            self._touch()
            self.changed.notify_all()

    def logout_queue(self, agent_id: str, queue_id: str) -> None:
        """Log an agent out of a queue; refused while on a call from that queue."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            self._queue(queue_id)
            membership = self.memberships.get((agent_id, queue_id))
            if membership is None:
                raise SimError("not_found", "the agent is not a member of this queue")
            call = self.calls.get(agent.call_id or "")
            if call is not None and call.queue_id == queue_id:
                raise SimError(
                    "refused", "the agent is on a call in this queue", call_number=call.caller
                )
            membership.logged_in = False
            self._refresh_ready(agent)
            self._touch()
            self.changed.notify_all()

    def add_member(self, agent_id: str, queue_id: str, penalty: int = 0) -> None:
        """Add (or update) a dynamic membership; logged in when the agent is."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            self._queue(queue_id)
            if penalty < 0:
                raise SimError("invalid", "penalty must not be negative")
            membership = self.memberships.get((agent_id, queue_id))
            if membership is None:
                self._add_membership(agent, queue_id, penalty, agent.logged_in, False)
            else:
                membership.penalty = penalty
            self._refresh_ready(agent)
            self._touch()
            self.changed.notify_all()

    def remove_member(self, agent_id: str, queue_id: str) -> None:
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            queue = self._queue(queue_id)
            if (agent_id, queue_id) not in self.memberships:
                raise SimError("not_found", "the agent is not a member of this queue")
            del self.memberships[(agent_id, queue_id)]
            del agent.queue_ids[queue_id]
            del queue.member_ids[agent_id]
            queue.idle_ids.discard(agent_id)
            self._refresh_ready(agent)
            self._touch()
            self.changed.notify_all()

    def hangup(self, call_id: str) -> None:
        """End a call: a talked call completes, an unanswered one counts abandoned."""
        with self.lock:
            self._sync()
            call = self._call(call_id)
            self._finish(call, completed=call.answered_at is not None)
            self.changed.notify_all()

    def hangup_agent(self, agent_id: str) -> None:
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            if agent.call_id is None:
                raise SimError("refused", "the agent has no call")
            call = self.calls[agent.call_id]
            self._finish(call, completed=call.answered_at is not None)
            self.changed.notify_all()

    def hold(self, agent_id: str) -> None:
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            call = self.calls.get(agent.call_id or "")
            if call is None or call.state != "talking":
                raise SimError("refused", "the agent has no answered call")
            call.state = "on_hold"
            call.held_at = self.now
            if agent.status is AgentStatus.TALKING:
                self._set_status(agent, AgentStatus.ON_HOLD)
            self._touch()
            self.changed.notify_all()

    def unhold(self, agent_id: str) -> None:
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            call = self.calls.get(agent.call_id or "")
            if call is None or call.state != "on_hold":
                raise SimError("refused", "the agent has no call on hold")
            call.state = "talking"
            call.held_at = None
            if agent.status is AgentStatus.ON_HOLD:
                self._set_status(agent, AgentStatus.TALKING)
            self._touch()
            self.changed.notify_all()

    def transfer(
        self,
        call_id: str,
        *,
        to_agent: str | None = None,
        to_queue: str | None = None,
        to_number: str | None = None,
        attended: bool,
    ) -> None:
        """Move a call: back into a queue, ringing another agent, or out of the center.

        Attended and blind transfers end the same way here; attended ones to an agent
        need that agent idle, blind ones to a busy agent are refused as well (no voicemail).
        """
        with self.lock:
            self._sync()
            if sum(x is not None for x in (to_agent, to_queue, to_number)) != 1:
                raise SimError("invalid", "give exactly one of agent, queue or number")
            call = self._call(call_id)
            target_queue = self._queue(to_queue) if to_queue is not None else None
            target_agent = self._agent(to_agent) if to_agent is not None else None
            if target_agent is not None:
                if target_agent.id == call.agent_id:
                    raise SimError("invalid", "the call is already with this agent")
                if target_agent.status not in (AgentStatus.IDLE, AgentStatus.LOGGED_IN):
                    raise SimError("refused", "the target agent is not available")
            if to_number is not None and not to_number.strip():
                raise SimError("invalid", "empty number")
            was_answered = call.answered_at is not None
            if to_number is not None:
                self._finish(call, completed=was_answered)
            else:
                self._release_agent(call, wrap=was_answered)
                if call.queue_id is not None:
                    self.queues[call.queue_id].waiting.pop(call.id, None)
                if target_queue is not None:
                    call.entered_at = self.now
                    self._enqueue(call, target_queue)
                elif target_agent is not None:
                    self._ring(call, target_agent)
            self.last_transfer_attended = attended
            self._touch()
            self.changed.notify_all()

    def monitor(self, agent_id: str, listener_extension: str, mode: str) -> SimMonitor:
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            if mode not in MONITOR_MODES:
                raise SimError("invalid", f"unknown monitoring mode {mode!r}")
            if not listener_extension:
                raise SimError("invalid", "no listener extension")
            if agent.call_id is None:
                raise SimError("refused", "the agent has no call")
            session = SimMonitor(agent.id, agent.call_id, listener_extension, mode, self.now)
            self.monitors[agent.id] = session
            self._touch()
            self.changed.notify_all()
            return session

    def originate(self, agent_id: str, number: str) -> str:
        """Place an outbound call: the agent is DIALING, then TALKING. Returns the call id."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            if not number.strip():
                raise SimError("invalid", "empty number")
            if not agent.logged_in:
                raise SimError("refused", "the agent is not logged in")
            if agent.call_id is not None or not agent.device_ok:
                raise SimError("refused", "the agent cannot place a call now")
            call = self._new_call(None, number, None, CallDirection.OUT, "ringing", agent.extension)
            call.agent_id = agent.id
            call.ringing_at = self.now
            agent.call_id = call.id
            self._set_status(agent, AgentStatus.DIALING)
            self._schedule(
                self.config.ring_s + self._rng.randrange(0, 4), "answer", call.id, call.token
            )
            self.changed.notify_all()
            return call.id

    def pickup(self, agent_id: str, call_id: str) -> None:
        """An agent takes a waiting call straight from the queue (answered at once)."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            call = self._call(call_id)
            if call.state != "waiting":
                raise SimError("refused", "the call is not waiting")
            if not agent.logged_in or agent.call_id is not None or not agent.device_ok:
                raise SimError("refused", "the agent cannot take a call now")
            self._ring(call, agent)
            self._answer(call)
            self.changed.notify_all()

    # ------------------------------------------------------------------ test helpers

    def set_status(self, agent_id: str, status: AgentStatus, pause_id: str | None = None) -> None:
        """Force a status (tests). PAUSED without a pause takes the first normal pause."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            if pause_id is not None and pause_id not in self.pauses:
                raise SimError("not_found", f"pause {pause_id!r} does not exist")
            if status is AgentStatus.PAUSED and pause_id is None:
                pause_id = self._normal_pause_ids[0]
            if status is AgentStatus.WRAP_UP:
                pause_id = self.wrap_pause_id
            was_logged_in = agent.logged_in
            agent.logged_in = status is not AgentStatus.OFFLINE
            if agent.logged_in and not was_logged_in:
                agent.logged_in_at = self.now
            if status is AgentStatus.UNAVAILABLE:
                agent.device_ok = False
            elif status is not AgentStatus.OFFLINE:
                agent.device_ok = True
            self._set_status(agent, status, pause_id)
            self.changed.notify_all()

    def add_waiting_call(self, queue_id: str, caller: str, caller_name: str | None = None) -> str:
        """Put a call into a queue (tests). Returns its id; it rings at the next tick."""
        with self.lock:
            self._sync()
            queue = self._queue(queue_id)
            call = self._arrive(queue, caller, caller_name)
            if call is None:
                raise SimError("refused", "the queue is full")
            self.changed.notify_all()
            return call.id

    def set_device(self, agent_id: str, ok: bool) -> None:
        """Make an agent's phone unreachable (UNAVAILABLE; a call on it drops) or back."""
        with self.lock:
            self._sync()
            agent = self._agent(agent_id)
            agent.device_ok = ok
            if not ok and agent.call_id is not None:
                call = self.calls[agent.call_id]
                self._finish(call, completed=call.answered_at is not None)
            if not ok and agent.logged_in:
                self._set_status(agent, AgentStatus.UNAVAILABLE)
            elif ok and agent.status is AgentStatus.UNAVAILABLE:
                self._set_status(agent, self._ready_status(agent))
            self._touch()
            self.changed.notify_all()

    # ------------------------------------------------------------------ reading

    def waiting_seconds(self, call: SimCall) -> int:
        return int((self.now - call.entered_at).total_seconds())

    def reset_counters(self) -> None:
        """Start the queues' answered / abandoned / SL counters and averages from zero, as
        the vendors do at the start of each day."""
        with self.lock:
            self._sync()
            for queue in self.queues.values():
                queue.answered = queue.abandoned = queue.answered_within_sl = 0
                queue.total_wait_s = queue.total_talk_s = 0.0
            self._touch()
            self.changed.notify_all()

    def queue_figures(self) -> list[Queue]:
        """The queues of ``truth()`` alone (cheaper, for sampling history)."""
        with self.lock:
            self._sync()
            return [self._queue_truth(queue) for queue in self.queues.values()]

    def _queue_truth(self, queue: SimQueue) -> Queue:
        agents, memberships, queue_id = self.agents, self.memberships, queue.id
        total = ready = busy = paused = 0
        for agent_id in queue.member_ids:
            agent = agents[agent_id]
            if not (agent.logged_in and memberships[(agent_id, queue_id)].logged_in):
                continue
            total += 1
            status = agent.status
            if status is AgentStatus.IDLE:
                ready += 1
            elif status in BUSY:
                busy += 1
            elif status in PAUSED_LIKE:
                paused += 1
        now, calls = self.now, self.calls
        waits = [int((now - calls[c].entered_at).total_seconds()) for c in queue.waiting]
        finished = queue.answered + queue.abandoned
        return Queue(
            id=queue.id,
            name=queue.name,
            number=queue.number,
            calls_waiting=len(waits),
            longest_wait_s=max(waits) if waits else 0,
            agents_total=total,
            agents_ready=ready,
            agents_busy=busy,
            agents_paused=paused,
            answered=queue.answered,
            abandoned=queue.abandoned,
            service_level_pct=round(100.0 * queue.answered_within_sl / finished, 1)
            if finished
            else None,
            sl_threshold_s=self.config.sl_threshold_s,
            avg_wait_s=round(queue.total_wait_s / queue.answered) if queue.answered else None,
            avg_talk_s=round(queue.total_talk_s / queue.answered) if queue.answered else None,
            capacity=queue.capacity,
        )

    def truth(self) -> Snapshot:
        """The ground truth in the normalised model (see the module docstring)."""
        with self.lock:
            self._sync()
            queues = [self._queue_truth(queue) for queue in self.queues.values()]
            agents = []
            for agent in self.agents.values():
                pause = self.pauses.get(agent.pause_id or "")
                agents.append(
                    Agent(
                        id=agent.id,
                        login=agent.login,
                        name=agent.name,
                        status=agent.status,
                        raw_status=agent.status.name,
                        extension=agent.extension,
                        status_since=agent.status_since,
                        pause_reason_id=pause.id if pause else None,
                        pause_reason=pause.title if pause else None,
                    )
                )
            memberships = [
                Membership(
                    m.agent_id,
                    m.queue_id,
                    m.penalty,
                    m.static,
                    m.logged_in and self.agents[m.agent_id].logged_in,
                )
                for m in self.memberships.values()
            ]
            waiting = [
                WaitingCall(
                    queue_id=queue.id,
                    position=position,
                    caller=call.caller,
                    wait_s=self.waiting_seconds(call),
                    caller_name=call.caller_name,
                    call_id=call.id,
                )
                for queue in self.queues.values()
                for position, call in enumerate((self.calls[c] for c in queue.waiting), 1)
            ]
            active = [
                self._active_call(call) for call in self.calls.values() if call.agent_id is not None
            ]
            reasons = [PauseReason(p.id, p.title, p.type, p.paid) for p in self.pauses.values()]
            return Snapshot.build(
                taken_at=self.now,
                queues=queues,
                agents=agents,
                memberships=memberships,
                waiting_calls=waiting,
                active_calls=active,
                pause_reasons=reasons,
            )

    def _active_call(self, call: SimCall) -> ActiveCall:
        if call.state == "ringing":
            state = (
                AgentStatus.DIALING
                if call.direction is CallDirection.OUT
                else (AgentStatus.RINGING)
            )
        elif call.state == "on_hold":
            state = AgentStatus.ON_HOLD
        else:
            state = AgentStatus.TALKING
        return ActiveCall(
            call_id=call.id,
            agent_id=call.agent_id,
            queue_id=call.queue_id,
            direction=call.direction,
            number=call.caller,
            state=state,
            since=call.answered_at or call.ringing_at,
            channel=call.channel,
        )
