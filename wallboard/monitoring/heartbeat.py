"""The scheduler's heartbeat: when polls were last dispatched.

Whatever claims due accounts stamps it (the embedded scheduler each tick, Celery's
``dispatch_polls`` each time beat sends it), at most every ``EVERY_S`` per process, in the
default cache: Redis with ``REDIS_URL``, the database cache without it (the embedded demo:
its own memory), so every process of an installation reads the same stamp. ``/readyz`` and
``manage.py heartbeat`` (the compose stack's beat healthcheck) read it; a missing or old
stamp means no polls are dispatched.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

KEY = "wallboard:scheduler-heartbeat"
EVERY_S = 2.0

log = logging.getLogger("wallboard.scheduler")

_stamped_at = -EVERY_S


def stamp() -> None:
    """Say that polls were dispatched now. A cache that cannot be written is not the
    scheduler's failure: the polls themselves show it, and the stamp is only information."""
    global _stamped_at
    moment = time.monotonic()
    if moment - _stamped_at < EVERY_S:
        return
    try:
        cache.set(KEY, time.time(), timeout=None)
    except Exception as err:  # any backend's error: Redis, the database
        log.debug("scheduler heartbeat not stored: %s", err)
        return
    _stamped_at = moment


def last() -> float | None:
    """The Unix time of the last stamp of any process, or None if there is none."""
    value = cache.get(KEY)
    return float(value) if isinstance(value, int | float) else None
