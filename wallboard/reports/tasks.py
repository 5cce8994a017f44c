"""Celery beat runs ``prune_history`` hourly (``CELERY_BEAT_SCHEDULE`` in settings)."""

from __future__ import annotations

from celery import shared_task

from wallboard.reports import prune


@shared_task(name="wallboard.prune_history", ignore_result=True)  # type: ignore[untyped-decorator]
def prune_history() -> int:
    """Delete history past retention, in batches; returns the number of rows deleted."""
    return prune.prune_history().total
