"""One account's day from the history tables: agent timelines and totals, queue trends.

Everything here reads; nothing writes. Times are cut to whole seconds (UTC epoch) when a
span is clipped to the day, so every total is an exact sum of integers: an agent's
categories add up to their logged-in time by construction.

Spans are read with two index-friendly queries per day (spans that start inside the day
on ``(agent, started_at)``, plus the one span per agent that was open when the day began,
found by a correlated subquery on the same index) — never a scan of older history.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.db.models import BigIntegerField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from providers.model import AgentStatus
from wallboard.monitoring.models import (
    STATUS_LABELS,
    Agent,
    AgentStatusSpan,
    PollLog,
    ProviderAccount,
    Queue,
    QueueSample,
)
from wallboard.reports.days import account_zone, day_bounds

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


def _epoch(value: datetime) -> int:
    return math.floor(value.timestamp())


def build_report(
    account: ProviderAccount,
    day: date,
    now: datetime,
    *,
    page: int | None = None,
    per_page: int = AGENTS_PER_PAGE,
    with_timelines: bool = True,
    selection: frozenset[int] | None = None,
) -> DayReport:
    """The day's report; with ``page``, only that page of the logged-in agents (by name);
    with ``selection`` (queue pks), only those queues and their members (ADR 016)."""
    start, end = day_bounds(account, day)
    until = max(start, min(end, now))
    account_agents = Agent.objects.filter(account=account)
    if selection is not None:
        account_agents = account_agents.filter(memberships__queue_id__in=selection).distinct()
    everyone = logged_in_agents(account_agents, start, until)
    pages = max(1, math.ceil(len(everyone) / per_page))
    chosen = everyone
    if page is not None:
        page = min(max(page, 1), pages)
        chosen = everyone[(page - 1) * per_page : page * per_page]
    agent_days = agent_history(account, start, until, chosen)
    if with_timelines:
        for agent_day in agent_days:
            agent_day.timeline = timeline_svg(agent_day.segments, _epoch(start), _epoch(end))
    logged = [a for a in agent_days if a.logged_in_s > 0]
    reasons = sorted({r for a in logged for r in a.paused_by_reason})
    return DayReport(
        account=account,
        day=day,
        start=start,
        end=end,
        until=until,
        agents=logged,
        queues=queue_history(account, start, until, selection),
        outages=outages(account, start, until),
        pause_reasons=reasons,
        not_logged_in=account_agents.count() - len(everyone),
        logged_in_count=len(everyone),
        page=page or 1,
        pages=1 if page is None else pages,
    )


# -- agents --------------------------------------------------------------------------------


def epoch_seconds(field_name: str) -> Func:
    """A timestamp column as whole UTC epoch seconds, computed by the database.

    Reading hundreds of thousands of timestamps as ``datetime`` objects costs more than
    the rest of the report; integers are what the report computes with anyway.
    """
    if connection.vendor == "postgresql":
        template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
    else:  # SQLite (the embedded demo) keeps UTC text; julianday is exact to the ms
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS INTEGER)"
    return Func(F(field_name), template=template, output_field=BigIntegerField())


def _open_at(agents: QuerySet[Agent], start: datetime) -> list[int]:
    """The ids of the spans the agents were in when ``start`` came (if any began before)."""
    span_ids = agents.annotate(
        span_id=Subquery(
            AgentStatusSpan.objects.filter(agent=OuterRef("pk"), started_at__lt=start)
            .order_by("-started_at")
            .values("pk")[:1]
        )
    ).values_list("span_id", flat=True)
    return [pk for pk in span_ids if pk is not None]


def logged_in_agents(
    account_agents: QuerySet[Agent], start: datetime, until: datetime
) -> list[Agent]:
    """Those of ``account_agents`` with logged-in time in ``[start, until)``, by name."""
    offline = AgentStatus.OFFLINE.value
    carried = AgentStatusSpan.objects.filter(pk__in=_open_at(account_agents, start)).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    ids = set(carried.exclude(status=offline).values_list("agent_id", flat=True))
    # One short probe of (agent, started_at) per agent, not a pass over the day's spans.
    logged_today = account_agents.filter(
        Exists(
            AgentStatusSpan.objects.filter(
                agent=OuterRef("pk"), started_at__gte=start, started_at__lt=until
            ).exclude(status=offline)
        )
    )
    ids |= set(logged_today.values_list("pk", flat=True))
    return list(account_agents.filter(pk__in=ids).order_by("name", "vendor_id"))


def _spans(
    agents: Sequence[Agent], start: datetime, until: datetime
) -> Iterable[tuple[int, str, str, int, int | None]]:
    agent_ids = [a.pk for a in agents]
    carried = _open_at(Agent.objects.filter(pk__in=agent_ids), start)
    times = {"start_s": epoch_seconds("started_at"), "end_s": epoch_seconds("ended_at")}
    columns = ("agent_id", "status", "pause_reason", "start_s", "end_s")
    yield from (
        AgentStatusSpan.objects.filter(pk__in=carried).annotate(**times).values_list(*columns)
    )
    yield from (
        AgentStatusSpan.objects.filter(
            agent_id__in=agent_ids, started_at__gte=start, started_at__lt=until
        )
        .annotate(**times)
        .order_by("agent_id", "started_at")
        .values_list(*columns)
    )


def agent_history(
    account: ProviderAccount,
    start: datetime,
    until: datetime,
    agents: Sequence[Agent] | None = None,
) -> list[AgentDay]:
    """Each agent's segments inside ``[start, until)`` and their totals.

    ``agents`` defaults to those logged in at some time in the window.
    """
    if agents is None:
        agents = logged_in_agents(Agent.objects.filter(account=account), start, until)
    by_agent: dict[int, list[Segment]] = {a.pk: [] for a in agents}
    start_s, until_s = _epoch(start), _epoch(until)
    # The span open at the start comes first, then the day's spans in order: each
    # agent's list is sorted without sorting.
    for agent_id, status, reason, began, ended in _spans(agents, start, until):
        seg_start = began if began > start_s else start_s
        seg_end = until_s if ended is None or ended > until_s else ended
        if seg_end > seg_start:
            by_agent[agent_id].append((seg_start, seg_end, status, reason, began >= start_s))
    return [_totals(agent, by_agent[agent.pk]) for agent in agents]


def _totals(agent: Agent, segments: list[Segment]) -> AgentDay:
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


STATUS_CLASS = {s.value: "s-" + s.value.lower() for s in AgentStatus}


def timeline_svg(segments: Sequence[Segment], start_s: int, end_s: int) -> SafeString:
    """An SVG strip: per bucket, the status the agent spent most of it in.

    Buckets a segment covers whole are filled by slice; only the (at most two) buckets
    where a segment starts or ends mid-way are weighed. Built from integers and fixed
    class names only (never vendor text), so it is safe.
    """
    length = end_s - start_s
    if length <= 0 or not segments:
        return SafeString()
    per_bucket = TIMELINE_BUCKETS / length
    dominant: list[str] = [""] * TIMELINE_BUCKETS
    partial: dict[int, dict[str, float]] = {}

    def weigh(bucket: int, status: str, amount: float) -> None:
        slot = partial.setdefault(bucket, {})
        slot[status] = slot.get(status, 0.0) + amount

    for seg_start, seg_end, status, _reason, _began in segments:
        lo = (seg_start - start_s) * per_bucket
        hi = (seg_end - start_s) * per_bucket
        first_full, last_full = math.ceil(lo), math.floor(hi)  # whole buckets in between
        if first_full > last_full:  # inside one bucket
            weigh(last_full, status, hi - lo)
            continue
        if first_full < last_full:
            dominant[first_full:last_full] = [status] * (last_full - first_full)
        if lo < first_full:
            weigh(first_full - 1, status, first_full - lo)
        if hi > last_full and last_full < TIMELINE_BUCKETS:
            weigh(last_full, status, hi - last_full)
    for bucket, slot in partial.items():
        dominant[bucket] = max(slot.items(), key=lambda kv: kv[1])[0]
    unit = TIMELINE_WIDTH // TIMELINE_BUCKETS
    parts = []
    position = 0
    for status, run in itertools.groupby(dominant):
        count = sum(1 for _ in run)
        if status and status != AgentStatus.OFFLINE.value:
            parts.append(
                f'<rect x="{position * unit}" width="{count * unit}" height="1" '
                f'class="{STATUS_CLASS.get(status, "s-unknown")}"/>'
            )
        position += count
    return mark_safe(  # noqa: S308 - integers and fixed class names only
        f'<svg class="timeline" viewBox="0 0 {TIMELINE_WIDTH} 1" preserveAspectRatio="none" '
        f'aria-hidden="true">{"".join(parts)}</svg>'
    )


# -- queues --------------------------------------------------------------------------------


def _queue_samples(
    queues: Sequence[Queue], start: datetime, until: datetime
) -> tuple[dict[int, SampleRow], dict[int, list[SampleRow]]]:
    queue_ids = [q.pk for q in queues]
    carried_ids = (
        Queue.objects.filter(pk__in=queue_ids)
        .annotate(
            sample_id=Subquery(
                QueueSample.objects.filter(queue=OuterRef("pk"), taken_at__lt=start)
                .order_by("-taken_at")
                .values("pk")[:1]
            )
        )
        .values_list("sample_id", flat=True)
    )
    columns = ("queue_id", "taken_s", *SAMPLE_COLUMNS)
    taken = epoch_seconds("taken_at")
    carried = {
        row[0]: SampleRow(*row[1:])
        for row in QueueSample.objects.filter(pk__in=[pk for pk in carried_ids if pk is not None])
        .annotate(taken_s=taken)
        .values_list(*columns)
    }
    inside: dict[int, list[SampleRow]] = {pk: [] for pk in queue_ids}
    for row in (
        QueueSample.objects.filter(queue_id__in=queue_ids, taken_at__gte=start, taken_at__lt=until)
        .annotate(taken_s=taken)
        .order_by("queue_id", "taken_at")
        .values_list(*columns)
    ):
        inside[row[0]].append(SampleRow(*row[1:]))
    return carried, inside


def queue_history(
    account: ProviderAccount,
    start: datetime,
    until: datetime,
    selection: frozenset[int] | None = None,
) -> list[QueueDay]:
    shown = Queue.objects.filter(account=account).order_by("name", "vendor_id")
    if selection is not None:
        shown = shown.filter(pk__in=selection)
    queues = list(shown)
    carried, inside = _queue_samples(queues, start, until)
    days = []
    for queue in queues:
        samples = inside[queue.pk]
        before = carried.get(queue.pk)
        series = ([before] if before is not None else []) + samples
        chart = _chart(series, _epoch(start), _epoch(until))
        waits = [w for w in chart["calls_waiting"] if w is not None]
        longest = [w for w in chart["longest_wait_s"] if w is not None]
        days.append(
            QueueDay(
                queue=queue,
                samples=samples,
                chart=chart,
                answered=_counted(series, "answered"),
                abandoned=_counted(series, "abandoned"),
                peak_waiting=int(max(waits)) if waits else None,
                peak_longest_wait_s=int(max(longest)) if longest else None,
                service_level_pct=series[-1].service_level_pct if series else None,
            )
        )
    return days


def _counted(series: Sequence[SampleRow], name: str) -> int | None:
    """How much a vendor's running counter grew over the day (a drop is a counter reset)."""
    values = [v for v in (getattr(s, name) for s in series) if v is not None]
    if not values:
        return None
    total = 0
    for before, after in itertools.pairwise(values):
        total += after - before if after >= before else after
    return total


def _chart(
    series: Sequence[SampleRow], start_s: int, until_s: int
) -> dict[str, list[float | None]]:
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


def outages(
    account: ProviderAccount, start: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """When the provider could not be polled: from a failed poll to the next good one.

    Spans continue through an outage (docs/decisions/021-spans-through-outages.md); the
    report shows these stretches so a reader knows the statuses there are the last known.
    """
    before = (
        PollLog.objects.filter(account=account, started_at__lt=start)
        .order_by("-started_at")
        .values_list("started_at", "ok")
        .first()
    )
    rows = list(
        PollLog.objects.filter(account=account, started_at__gte=start, started_at__lt=until)
        .order_by("started_at")
        .values_list("started_at", "ok")
    )
    down_since: datetime | None = start if before is not None and not before[1] else None
    found = []
    for at, ok in rows:
        if ok and down_since is not None:
            found.append((down_since, at))
            down_since = None
        elif not ok and down_since is None:
            down_since = at
    if down_since is not None:
        found.append((down_since, until))
    return found


# -- presentation helpers ------------------------------------------------------------------


def hour_ticks(report: DayReport) -> list[tuple[float, str]]:
    """Every third local full hour inside the day, as (percent from the left, "HH")."""
    zone = account_zone(report.account)
    start, end = report.start, report.end
    length = (end - start).total_seconds()
    local = start.astimezone(zone)
    first = local.replace(minute=0, second=0, microsecond=0)
    tick = first.astimezone(UTC)
    if tick < start:
        tick += timedelta(hours=1)
    ticks = []
    while tick < end:
        local_hour = tick.astimezone(zone).hour
        if local_hour % 3 == 0:  # every third hour keeps the labels readable
            ticks.append(
                (round(100 * (tick - start).total_seconds() / length, 3), f"{local_hour:02d}")
            )
        tick += timedelta(hours=1)
    return ticks


def status_legend() -> list[tuple[str, Promise]]:
    return [
        (STATUS_CLASS[s.value], STATUS_LABELS[s]) for s in AgentStatus if s != AgentStatus.OFFLINE
    ]


def hms(seconds: int | None) -> str:
    if seconds is None:
        return "\u2013"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
