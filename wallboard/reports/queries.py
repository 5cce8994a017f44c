"""One account's day read from the history tables: agent segments, queue samples, outages,
and the whole day's report. Everything here reads; nothing writes.

Spans are read with two index-friendly queries per day (spans that start inside the day
on ``(agent, started_at)``, plus the one span per agent that was open when the day began,
found by a correlated subquery on the same index) — never a scan of older history.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection
from django.db.models import BigIntegerField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery

from providers.model import AgentStatus
from wallboard.monitoring.models import (
    Agent,
    AgentStatusSpan,
    PollLog,
    ProviderAccount,
    Queue,
    QueueSample,
)
from wallboard.reports.compute import (
    AGENTS_PER_PAGE,
    SAMPLE_COLUMNS,
    AgentDay,
    DayReport,
    QueueDay,
    SampleRow,
    Segment,
    chart,
    counted,
    epoch,
    totals,
)
from wallboard.reports.days import day_bounds
from wallboard.reports.presentation import timeline_svg


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
            agent_day.timeline = timeline_svg(agent_day.segments, epoch(start), epoch(end))
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
    start_s, until_s = epoch(start), epoch(until)
    # The span open at the start comes first, then the day's spans in order: each
    # agent's list is sorted without sorting.
    for agent_id, status, reason, began, ended in _spans(agents, start, until):
        seg_start = began if began > start_s else start_s
        seg_end = until_s if ended is None or ended > until_s else ended
        if seg_end > seg_start:
            by_agent[agent_id].append((seg_start, seg_end, status, reason, began >= start_s))
    return [totals(agent, by_agent[agent.pk]) for agent in agents]


def _sampled_at(queues: QuerySet[Queue], start: datetime) -> list[int]:
    """The ids of the samples in force when ``start`` came: each queue's last before it."""
    sample_ids = queues.annotate(
        sample_id=Subquery(
            QueueSample.objects.filter(queue=OuterRef("pk"), taken_at__lt=start)
            .order_by("-taken_at")
            .values("pk")[:1]
        )
    ).values_list("sample_id", flat=True)
    return [pk for pk in sample_ids if pk is not None]


def _queue_samples(
    queues: Sequence[Queue], start: datetime, until: datetime
) -> tuple[dict[int, SampleRow], dict[int, list[SampleRow]]]:
    queue_ids = [q.pk for q in queues]
    columns = ("queue_id", "taken_s", *SAMPLE_COLUMNS)
    taken = epoch_seconds("taken_at")
    carried = {
        row[0]: SampleRow(*row[1:])
        for row in QueueSample.objects.filter(
            pk__in=_sampled_at(Queue.objects.filter(pk__in=queue_ids), start)
        )
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
        figures = chart(series, epoch(start), epoch(until))
        waits = [w for w in figures["calls_waiting"] if w is not None]
        longest = [w for w in figures["longest_wait_s"] if w is not None]
        days.append(
            QueueDay(
                queue=queue,
                samples=samples,
                chart=figures,
                answered=counted(series, "answered"),
                abandoned=counted(series, "abandoned"),
                peak_waiting=int(max(waits)) if waits else None,
                peak_longest_wait_s=int(max(longest)) if longest else None,
                service_level_pct=series[-1].service_level_pct if series else None,
            )
        )
    return days


def day_spans(
    agents: QuerySet[Agent], start: datetime, until: datetime
) -> QuerySet[AgentStatusSpan]:
    """The stored spans of ``agents`` in ``[start, until)``, unclipped, by start: the one
    each agent was in when ``start`` came (it began earlier), then those begun inside."""
    carried = Q(pk__in=_open_at(agents, start)) & (Q(ended_at__isnull=True) | Q(ended_at__gt=start))
    inside = Q(agent__in=agents, started_at__gte=start, started_at__lt=until)
    return AgentStatusSpan.objects.filter(carried | inside).order_by("started_at", "pk")


def day_samples(queues: QuerySet[Queue], start: datetime, until: datetime) -> QuerySet[QueueSample]:
    """The stored samples of ``queues`` in ``[start, until)``, by time: the one each queue
    was at when ``start`` came (taken earlier), then those taken inside."""
    carried = Q(pk__in=_sampled_at(queues, start))
    inside = Q(queue__in=queues, taken_at__gte=start, taken_at__lt=until)
    return QueueSample.objects.filter(carried | inside).order_by("taken_at", "pk")


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
