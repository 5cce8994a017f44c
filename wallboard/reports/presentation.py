"""How a day looks: the agents' timeline strips (SVG), hour ticks, the legend, durations."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, timedelta

from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

from providers.model import AgentStatus
from wallboard.monitoring.models import STATUS_LABELS
from wallboard.reports.compute import TIMELINE_BUCKETS, TIMELINE_WIDTH, DayReport, Segment
from wallboard.reports.days import account_zone

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
