"""Readiness: can this process serve, and is polling alive (``GET /readyz``, ADR 024).

A process needs the database, and Redis when ``REDIS_URL`` is set (channel layer, broker,
cache); either one down makes it unready, and it is ready again as soon as the dependency
answers: every check opens what it needs afresh after a failure. The scheduler's heartbeat
and the most overdue poll are reported as information: polling stalls for reasons a
restart of this process does not cure (no beat, no worker).

The body names what is down and the kind of error; the error's text (host names, user
names) goes to the log, once when a dependency is lost and once when it is back.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from wallboard.monitoring import heartbeat
from wallboard.monitoring.models import ProviderAccount

log = logging.getLogger("wallboard.health")

# A probe answers within a few seconds even when a dependency hangs.
REDIS_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Check:
    ok: bool
    ms: float
    error: str | None = None


_down: set[str] = set()


def _outcome(name: str, started: float, err: Exception | None) -> Check:
    ms = round((time.perf_counter() - started) * 1000, 1)
    if err is None:
        if name in _down:
            _down.discard(name)
            log.info("%s reachable again", name)
        return Check(True, ms)
    if name not in _down:
        _down.add(name)
        log.warning("%s unreachable: %s", name, " ".join(str(err).split()))
    return Check(False, ms, type(err).__name__)


def check_database() -> Check:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as err:
        # Let the next check connect afresh instead of reusing a broken connection.
        with contextlib.suppress(DatabaseError):
            connection.close()
        return _outcome("database", started, err)
    return _outcome("database", started, None)


def check_redis(url: str) -> Check:
    started = time.perf_counter()
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )
    try:
        client.ping()
    except redis.RedisError as err:
        return _outcome("redis", started, err)
    finally:
        client.close()
    return _outcome("redis", started, None)


def dependencies() -> dict[str, Check]:
    """What this process needs in order to serve, checked now."""
    checks = {"database": check_database()}
    if settings.REDIS_URL:
        checks["redis"] = check_redis(settings.REDIS_URL)
    return checks


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def scheduler_heartbeat(now: float) -> dict[str, Any]:
    kind = "celery beat" if settings.REDIS_URL else "in-process"
    try:
        stamped = heartbeat.last()
    except Exception as err:  # the cache's backend is down: Redis or the database
        return {"kind": kind, "last_dispatch_at": None, "age_s": None, "error": type(err).__name__}
    if stamped is None:
        return {"kind": kind, "last_dispatch_at": None, "age_s": None}
    return {
        "kind": kind,
        "last_dispatch_at": _iso(datetime.fromtimestamp(stamped, UTC)),
        "age_s": round(now - stamped, 1),
    }


def oldest_overdue_poll(now: datetime) -> dict[str, Any] | None:
    """The enabled account whose poll has been due longest, and how many are due; a poll
    in progress is due until it commits, so a second or two is normal."""
    due = ProviderAccount.objects.filter(enabled=True, next_poll_at__lte=now)
    oldest = due.order_by("next_poll_at").values_list("pk", "next_poll_at").first()
    if oldest is None:
        return None
    pk, due_at = oldest
    return {
        "account": pk,
        "due_at": _iso(due_at),
        "overdue_s": round((now - due_at).total_seconds(), 1),
        "accounts_due": due.count(),
    }


def readiness() -> tuple[bool, dict[str, Any]]:
    """Whether this process is ready, and the body ``/readyz`` answers with."""
    checks = dependencies()
    unavailable = [name for name, check in checks.items() if not check.ok]
    body: dict[str, Any] = {
        "ready": not unavailable,
        "unavailable": unavailable,
        "checks": {name: asdict(check) for name, check in checks.items()},
        "scheduler": scheduler_heartbeat(time.time()),
        "oldest_overdue_poll": None,
    }
    if checks["database"].ok:
        try:
            body["oldest_overdue_poll"] = oldest_overdue_poll(timezone.now())
        except DatabaseError as err:  # lost since the check
            body["oldest_overdue_poll"] = {"error": type(err).__name__}
    return not unavailable, body
