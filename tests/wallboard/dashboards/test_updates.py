"""What a queue change pushes follows from what the queue tile shows."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models
from django.template.loader import render_to_string

from wallboard.dashboards.updates import BOARD, COUNTS, tile_figures
from wallboard.monitoring.models import ProviderAccount, Queue


def _tile(queue: Queue) -> str:
    queue.callers = []  # type: ignore[attr-defined]
    return render_to_string(f"{BOARD}#queue-tile", {"queue": queue})


def _other(field: models.Field[object, object], value: object) -> object:
    if isinstance(field, models.DateTimeField):
        return datetime(2026, 11, 23, 7, 59, tzinfo=UTC)
    if isinstance(field, models.FloatField):
        return 12.5 if value != 12.5 else 13.5
    if isinstance(field, models.IntegerField):
        return 7 if value != 7 else 8
    return "Other text"


def test_every_field_the_tile_shows_is_pushed_when_it_changes() -> None:
    """Change each queue field alone: where the rendered tile differs, a push must carry it
    (the tile's own figures, or the count line)."""
    base = Queue(
        pk=1,
        account=ProviderAccount(pk=1),
        vendor_id="4",
        number="2000",
        name="Support",
        calls_waiting=2,
        longest_wait_since=datetime(2026, 11, 23, 7, 58, tzinfo=UTC),
        agents_total=5,
        agents_ready=1,
        agents_busy=3,
        agents_paused=1,
        answered=40,
        abandoned=2,
        service_level_pct=91.5,
        sl_threshold_s=20,
        avg_wait_s=12,
        avg_talk_s=140,
        capacity=30,
    )
    shown = set()
    for field in Queue._meta.concrete_fields:
        if field.primary_key or field.is_relation or field.name == "vendor_id":
            continue
        changed = Queue(
            **{f.attname: getattr(base, f.attname) for f in Queue._meta.concrete_fields}
        )
        setattr(changed, field.attname, _other(field, getattr(base, field.attname)))
        if _tile(changed) != _tile(base):
            shown.add(field.name)
    assert shown, "the tile shows nothing?"
    assert shown <= tile_figures() | COUNTS, shown - (tile_figures() | COUNTS)
    assert tile_figures() <= shown, "a field counted as shown does not change the tile"
