"""Erlang C on the queue tile: the agents a queue needs now for its SLA target, and the
expected wait (ASA) with the agents it has (issue 11 §6, ADR 027).

A queue tile is one fragment shared by every screen of its account (ADR 018), so each queue
has one target wherever it is shown: the one a board sets for it (the most demanding, if
boards disagree), else ``DEFAULT_TARGET`` of the vendor's own SLA threshold, else
``DEFAULT_TARGET`` in ``DEFAULT_THRESHOLD_S``.

The plan costs four queries per account, so it is computed at most once a minute
(``REFRESH_S``) per account and kept in the cache, by a push's hook step after the push
(``refresh_plan``) rather than inside it; the ASA follows the agents on the tile at every
render, and, when no one is free, the callers already waiting (``erlang.wait_behind``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Max, Min
from django.utils import timezone

from wallboard.dashboards.models import QueueThreshold
from wallboard.monitoring.models import Queue
from wallboard.reports.erlang import Workload, agents_needed, average_wait_s, wait_behind
from wallboard.reports.forecast import workloads

DEFAULT_TARGET = 0.80
DEFAULT_THRESHOLD_S = 20
REFRESH_S = 60
# How old a plan a push may still send (``planned``); past it the push computes one.
KEEP_S = 10 * REFRESH_S


@dataclass(frozen=True, slots=True)
class Forecast:
    """One queue's figures; ``needed`` None where the vendor gives too little data."""

    needed: int | None
    asa_s: float | None


# Per queue: arrivals per second, handle seconds, the agents needed (None: too little data).
Planned = tuple[float, float, int | None]


def _targets(queues: list[Queue]) -> dict[int, tuple[float, int]]:
    """Each queue's target (a fraction) and its threshold in seconds."""
    set_by_boards = {
        row["queue_id"]: row
        for row in QueueThreshold.objects.filter(queue__in=queues)
        .values("queue_id")
        .annotate(target=Max("sla_target_pct"), threshold=Min("sla_threshold_s"))
    }
    result = {}
    for queue in queues:
        row = set_by_boards.get(queue.pk, {})
        target = row.get("target")
        threshold = row.get("threshold") or queue.sl_threshold_s or DEFAULT_THRESHOLD_S
        result[queue.pk] = (target / 100 if target else DEFAULT_TARGET, threshold)
    return result


def plan_key(account_pk: int) -> str:
    return f"wallboard.forecast.v2.{account_pk}"  # v2: a ``_Cached``, no longer the plan


def _plan(account_pk: int) -> dict[int, Planned]:
    queues = list(Queue.objects.filter(account_id=account_pk))
    targets = _targets(queues)
    plan = {}
    for queue_pk, workload in workloads(queues, timezone.now()).items():
        target, threshold = targets[queue_pk]
        needed = agents_needed(workload, target, threshold)
        plan[queue_pk] = (workload.arrivals_per_s, workload.handle_s, needed)
    return plan


@dataclass(frozen=True, slots=True)
class _Cached:
    """A plan in the cache: when it was computed, and whether a push has sent it yet."""

    computed_at: float
    plan: dict[int, Planned]
    pushed: bool = False


# When each account's plan was computed, as this process last read it: ``refresh_plan``
# asks the cache only once that has aged.
_seen: dict[int, float] = {}


def _store(account_pk: int, cached: _Cached) -> None:
    cache.set(plan_key(account_pk), cached, KEEP_S)
    _seen[account_pk] = cached.computed_at


def _compute(account_pk: int) -> _Cached:
    cached = _Cached(time.time(), _plan(account_pk))
    _store(account_pk, cached)
    return cached


def planned(account_pk: int, *, push: bool = False) -> tuple[dict[int, Planned], bool]:
    """The account's plan, computed again once it has aged (``REFRESH_S``); and, for a
    ``push``, whether its screens have not had it yet (the push then sends every queue's
    forecast line).

    A push takes the plan it finds, aged or not, unless it is older than ``KEEP_S``: the
    four queries and Erlang C would hold up the change it carries, so ``refresh_plan``,
    after the push, computes the next one and the next push sends it.
    """
    cached: _Cached | None = cache.get(plan_key(account_pk))
    if cached is None or time.time() - cached.computed_at > (KEEP_S if push else REFRESH_S):
        cached = _compute(account_pk)
    else:
        _seen[account_pk] = cached.computed_at
    if not push or cached.pushed:
        return cached.plan, False
    _store(account_pk, dataclasses.replace(cached, pushed=True))
    return cached.plan, True


def refresh_plan(account_pk: int) -> None:
    """Compute the account's plan again if it has aged (after a push, so no change waits
    for it)."""
    if time.time() - _seen.get(account_pk, 0.0) <= REFRESH_S:
        return
    cached: _Cached | None = cache.get(plan_key(account_pk))
    if cached is None or time.time() - cached.computed_at > REFRESH_S:
        _compute(account_pk)
    else:
        _seen[account_pk] = cached.computed_at


def _forecast(planned: Planned | None, queue: Queue) -> Forecast:
    if planned is None or planned[2] is None:
        return Forecast(None, None)
    arrivals_per_s, handle_s, needed = planned
    # The agents who take calls now: logged in and not paused.
    if queue.agents_ready is None and queue.agents_busy is None:
        return Forecast(needed, None)
    agents = (queue.agents_ready or 0) + (queue.agents_busy or 0)
    if not queue.agents_ready and (queue.calls_waiting or queue.agents_busy):
        # No one free: a caller now waits behind the backlog, whatever the average says.
        return Forecast(needed, wait_behind(handle_s, agents, queue.calls_waiting or 0))
    return Forecast(needed, average_wait_s(Workload(arrivals_per_s, handle_s), agents))


def with_forecasts(
    queues: Iterable[Queue], plans: dict[int, dict[int, Planned]] | None = None
) -> list[Queue]:
    """Queues with ``forecast``, for the tile; a cache read per account not in ``plans``
    (account pk → ``planned``)."""
    rows = list(queues)
    plans = dict(plans or {})
    for queue in rows:
        if queue.account_id not in plans:
            plans[queue.account_id] = planned(queue.account_id)[0]
        plan = plans[queue.account_id].get(queue.pk)
        queue.forecast = _forecast(plan, queue)  # type: ignore[attr-defined]
    return rows


def wait_text(seconds: float | None) -> str:
    """An ASA as the tile says it: ``12 s``, ``3:05``, ``∞`` (the queue only grows)."""
    if seconds is None:
        return "\N{EN DASH}"
    if math.isinf(seconds):
        return "\N{INFINITY}"
    rounded = round(seconds)
    if rounded < 60:
        return f"{rounded}\N{NO-BREAK SPACE}s"
    return f"{rounded // 60}:{rounded % 60:02d}"
