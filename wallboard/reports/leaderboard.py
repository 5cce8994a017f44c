"""The board's leaderboard (ADR 027): calls answered and talk time per agent in the
reporting day so far, from the stored status spans, counted as the reports page counts
them (ADR 022): a call is a talking span begun today that does not follow talking or on
hold; talk time is talking and on hold, clipped to the day.

Three queries, whatever the day's length: the spans open when the day began (one index
probe per agent), the day's talk seconds per agent, the day's calls per agent (each talking
span's previous span, one index probe each). No vendor reports calls per agent in our model,
so where an account's history holds no talking span in ``REPORTED_DAYS`` the vendor is taken
to report none (``None``) rather than a board of zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least

from providers.model import AgentStatus
from wallboard.monitoring.models import Agent, AgentStatusSpan, ProviderAccount
from wallboard.reports.compute import CALL_STATUSES, epoch
from wallboard.reports.days import day_bounds, day_of
from wallboard.reports.queries import day_spans, epoch_seconds

REPORTED_DAYS = 7


@dataclass(frozen=True, slots=True)
class Leader:
    agent_pk: int
    name: str
    calls: int
    talk_s: int


def _talk_seconds(account: ProviderAccount, start: datetime, until: datetime) -> dict[int, int]:
    start_s, until_s = Value(epoch(start)), Value(epoch(until))
    rows = (
        day_spans(Agent.objects.filter(account=account), start, until)
        .filter(status__in=sorted(CALL_STATUSES))
        .order_by()
        .annotate(
            seconds=Least(Coalesce(epoch_seconds("ended_at"), until_s), until_s)
            - Greatest(epoch_seconds("started_at"), start_s)
        )
        .values("agent_id")
        .annotate(talk_s=Sum("seconds"))
        .values_list("agent_id", "talk_s")
    )
    return {agent_pk: max(0, talk_s or 0) for agent_pk, talk_s in rows}


def _calls(account: ProviderAccount, start: datetime, until: datetime) -> dict[int, int]:
    previous = (
        AgentStatusSpan.objects.filter(
            agent_id=OuterRef("agent_id"), started_at__lt=OuterRef("started_at")
        )
        .order_by("-started_at")
        .values("status")[:1]
    )
    rows = (
        AgentStatusSpan.objects.filter(
            agent__account=account,
            status=AgentStatus.TALKING.value,
            started_at__gte=start,
            started_at__lt=until,
        )
        .annotate(previous=Subquery(previous))
        .filter(Q(previous__isnull=True) | ~Q(previous__in=sorted(CALL_STATUSES)))
        .values("agent_id")
        .annotate(calls=Count("pk"))
        .values_list("agent_id", "calls")
    )
    return dict(rows)


def leaders(account: ProviderAccount, now: datetime) -> list[Leader] | None:
    """Every agent with a call or talk time in the account's day so far, most calls first
    (then most talk time, then name); None where the vendor reports no calls per agent."""
    start, end = day_bounds(account, day_of(account, now))
    until = max(start, min(end, now))
    talk = _talk_seconds(account, start, until)
    calls = _calls(account, start, until)
    if not talk and not calls:
        reported = AgentStatusSpan.objects.filter(
            agent__account=account,
            status__in=sorted(CALL_STATUSES),
            started_at__gte=start - timedelta(days=REPORTED_DAYS),
        ).exists()
        return [] if reported else None
    names = dict(Agent.objects.filter(pk__in=talk.keys() | calls.keys()).values_list("pk", "name"))
    rows = [
        Leader(pk, names[pk], calls.get(pk, 0), talk.get(pk, 0))
        for pk in talk.keys() | calls.keys()
        if pk in names
    ]
    rows.sort(key=lambda r: (-r.calls, -r.talk_s, r.name, r.agent_pk))
    return rows
