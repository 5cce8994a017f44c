"""One account's day, computed: the report's shapes and the pure arithmetic over the history
rows the queries read (no database here).

Times are whole seconds (UTC epoch) once a span is clipped to the day, so every total is an
exact sum of integers: an agent's categories add up to their logged-in time by construction.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from providers.model import AgentStatus
from wallboard.monitoring.models import Agent, ProviderAccount, Queue

# Each logged-in status belongs to exactly one category, so the categories partition the
# logged-in time. OFFLINE is "not logged in" and counts nowhere.
CATEGORY_OF: dict[str, str] = {
    AgentStatus.IDLE.value: "ready",
    AgentStatus.RINGING.value: "ringing",
    AgentStatus.DIALING.value: "ringing",
    AgentStatus.TALKING.value: "talking",
    AgentStatus.ON_HOLD.value: "talking",
    AgentStatus.WRAP_UP.value: "wrap_up",
    AgentStatus.PAUSED.value: "paused",
    AgentStatus.LOGGED_IN.value: "other",
    AgentStatus.UNAVAILABLE.value: "other",
    AgentStatus.UNKNOWN.value: "other",
}
CATEGORIES: list[tuple[str, Promise]] = [
    ("ready", _("Ready")),
    ("ringing", _("Ringing / dialling")),
    ("talking", _("Talking / on hold")),
    ("wrap_up", _("Wrap-up")),
    ("paused", _("Paused")),
    ("other", _("Other (no queue, unavailable, unknown)")),
]
NO_REASON = ""
CALL_STATUSES = frozenset({AgentStatus.TALKING.value, AgentStatus.ON_HOLD.value})

# The timeline is drawn in TIMELINE_WIDTH units; each bucket shows the status the agent
# spent most of it in (the totals and the CSV are exact; the picture is 500 columns).
TIMELINE_WIDTH = 1000
TIMELINE_BUCKETS = 500
CHART_STEP_S = 60
# The page lists agents in pages; the CSV has them all.
AGENTS_PER_PAGE = 100


# (start, end, status, pause_reason, began_today): UTC epoch seconds clipped to the day.
# Plain tuples: a busy day of 500 agents is a few hundred thousand of them.
Segment = tuple[int, int, str, str, bool]


@dataclass(slots=True)
class AgentDay:
    agent: Agent
    segments: list[Segment]
    logged_in_s: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    paused_by_reason: dict[str, int] = field(default_factory=dict)
    calls_seen: int = 0
    timeline: SafeString = field(default_factory=SafeString)

    def category(self, key: str) -> int:
        return self.by_category.get(key, 0)


class SampleRow(NamedTuple):
    """One stored queue sample, with its time as UTC epoch seconds."""

    taken_s: int
    calls_waiting: int | None
    longest_wait_s: int | None
    agents_ready: int | None
    agents_busy: int | None
    agents_paused: int | None
    service_level_pct: float | None
    answered: int | None
    abandoned: int | None


SAMPLE_COLUMNS = SampleRow._fields[1:]


@dataclass(slots=True)
class QueueDay:
    queue: Queue
    samples: list[SampleRow]  # taken inside the day, oldest first
    chart: dict[str, list[float | None]]
    answered: int | None
    abandoned: int | None
    peak_waiting: int | None
    peak_longest_wait_s: int | None
    service_level_pct: float | None


@dataclass(slots=True)
class DayReport:
    account: ProviderAccount
    day: date
    start: datetime
    end: datetime
    until: datetime  # the end, or now while the day is still running
    agents: list[AgentDay]
    queues: list[QueueDay]
    outages: list[tuple[datetime, datetime]]
    pause_reasons: list[str]
    not_logged_in: int
    logged_in_count: int = 0
    page: int = 1
    pages: int = 1

    @property
    def zone_name(self) -> str:
        return self.account.time_zone


def epoch(value: datetime) -> int:
    return math.floor(value.timestamp())


def totals(agent: Agent, segments: list[Segment]) -> AgentDay:
    day = AgentDay(agent=agent, segments=[])
    kept = day.segments
    seconds_by_status: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    previous_status = ""
    calls = 0
    talking, paused = AgentStatus.TALKING.value, AgentStatus.PAUSED.value
    covered = 0  # never count a second twice, even if stored spans overlapped
    for seg in segments:
        seg_start, seg_end, status, reason, began_today = seg
        if seg_start < covered:
            if seg_end <= covered:
                continue
            seg_start = covered
            seg = (seg_start, seg_end, status, reason, began_today)
        covered = seg_end
        kept.append(seg)
        seconds = seg_end - seg_start
        seconds_by_status[status] = seconds_by_status.get(status, 0) + seconds
        if status == paused:
            by_reason[reason] = by_reason.get(reason, 0) + seconds
        elif status == talking and began_today and previous_status not in CALL_STATUSES:
            calls += 1
        previous_status = status
    by_category: dict[str, int] = {}
    for status, seconds in seconds_by_status.items():
        category = CATEGORY_OF.get(status)
        if category is not None:
            by_category[category] = by_category.get(category, 0) + seconds
    day.by_category = by_category
    day.paused_by_reason = by_reason
    day.logged_in_s = sum(by_category.values())
    day.calls_seen = calls
    return day


def counted(series: Sequence[SampleRow], name: str) -> int | None:
    """How much a vendor's running counter grew over the day (a drop is a counter reset)."""
    values = [v for v in (getattr(s, name) for s in series) if v is not None]
    if not values:
        return None
    total = 0
    for before, after in itertools.pairwise(values):
        total += after - before if after >= before else after
    return total


def chart(series: Sequence[SampleRow], start_s: int, until_s: int) -> dict[str, list[float | None]]:
    """Per minute: the most calls waiting, the longest wait reached, the last SL %.

    Between two samples the waiting count and SL hold; the longest wait keeps growing
    while callers wait, so it is recomputed at the end of each minute from the time the
    longest-waiting caller arrived.
    """
    minutes: dict[int, list[float | None]] = {}
    for i, sample in enumerate(series):
        t0 = max(sample.taken_s, start_s)
        t1 = series[i + 1].taken_s if i + 1 < len(series) else until_s
        t1 = min(t1, until_s)
        if t1 <= t0:
            continue
        waiting = sample.calls_waiting
        if waiting == 0:
            since: int | None = None
        elif sample.longest_wait_s is not None:
            since = sample.taken_s - sample.longest_wait_s
        else:
            since = None
        first_minute = (t0 - start_s) // CHART_STEP_S
        last_minute = (t1 - 1 - start_s) // CHART_STEP_S
        minutes_touched: Iterable[int] = range(first_minute, last_minute + 1)
        if since is None and last_minute - first_minute > 2:
            # Nothing grows while nobody waits: the inner minutes all repeat one value.
            minutes_touched = (first_minute, first_minute + 1, last_minute)
        for minute in minutes_touched:
            seg_end = min(t1, start_s + (minute + 1) * CHART_STEP_S)
            longest: float | None
            if waiting == 0:
                longest = 0
            elif since is not None:
                longest = max(0, seg_end - since)
            else:
                longest = None
            slot = minutes.get(minute)
            if slot is None:
                minutes[minute] = [waiting, longest, sample.service_level_pct]
                continue
            slot[0] = _max(slot[0], waiting)
            slot[1] = _max(slot[1], longest)
            slot[2] = sample.service_level_pct
    chart: dict[str, list[float | None]] = {
        "x": [],
        "calls_waiting": [],
        "longest_wait_s": [],
        "service_level_pct": [],
    }
    previous: list[float | None] | None = None
    ordered = sorted(minutes.items())
    for n, (minute, values) in enumerate(ordered):
        if values == previous and n != len(ordered) - 1:
            continue
        previous = values
        chart["x"].append(start_s + minute * CHART_STEP_S)
        chart["calls_waiting"].append(values[0])
        chart["longest_wait_s"].append(values[1])
        chart["service_level_pct"].append(values[2])
    return chart


def _max(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


# -- provider outages ----------------------------------------------------------------------
