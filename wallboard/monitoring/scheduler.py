"""When polls run: the lease every scheduler claims an account with, and the embedded
scheduler (``manage.py demo``, and whenever ``REDIS_URL`` is unset). Production runs Celery
beat and workers instead (``wallboard.wiring.tasks``), on the same claims.

While the database is unreachable every claim and poll fails. Each process says so once,
and once when the database is back, rather than logging a traceback every second; a poll
cut off in the middle wrote nothing (its transaction never committed) and its account is
claimed again when the lease runs out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

from wallboard.monitoring import heartbeat
from wallboard.monitoring.hooks import CommitHook
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import poll_once

log = logging.getLogger("wallboard.scheduler")
poll_log = logging.getLogger("wallboard.poll")

# The Celery task names (``wallboard.wiring.tasks``), also named in CELERY_BEAT_SCHEDULE.
DISPATCH_TASK = "wallboard.dispatch_polls"
POLL_TASK = "wallboard.poll_account"
REFRESH_TASK = "wallboard.refresh_account"


def poll_queue(account_pk: int) -> str | None:
    """The Celery queue of an account's polls when polls are partitioned (ADR 023): its
    partition's, ``poll.<pk mod POLL_PARTITIONS>``, so one worker process polls it every time
    and keeps its stored state and its adapter warm; None (the default queue) when not."""
    partitions: int = settings.POLL_PARTITIONS
    return f"poll.{account_pk % partitions}" if partitions > 0 else None


def route_account_task(
    name: str, args: Sequence[Any], kwargs: Mapping[str, Any], options: Mapping[str, Any],
    task: Any = None, **_: Any,
) -> dict[str, str] | None:  # fmt: skip
    """Celery's router (``CELERY_TASK_ROUTES``): an account's polls and refreshes to its
    partition's queue, every other task to the default one."""
    if name not in (POLL_TASK, REFRESH_TASK) or not args:
        return None
    queue = poll_queue(int(args[0]))
    return {"queue": queue} if queue else None


def claim_due_accounts(
    now: datetime | None = None, ahead: timedelta = timedelta(0)
) -> list[ProviderAccount]:
    """Take a lease on every account that is due (or due within ``ahead``) and not being
    polled, earliest due first.

    All the claims are one atomic ``UPDATE … RETURNING`` (PostgreSQL, and SQLite ≥ 3.35), so
    several schedulers (two beat processes by mistake, several workers) never poll one
    account twice at once, and a tick costs one statement however many accounts are due; a
    poll that dies keeps its lease only until it expires, and then the account is claimed
    again.
    """
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.POLL_LEASE_S)
    adapt = connection.ops.adapt_datetimefield_value
    table, enabled, next_poll, lease = (
        connection.ops.quote_name(name)
        for name in (ProviderAccount._meta.db_table, "enabled", "next_poll_at", "lease_until")
    )
    claimed = ProviderAccount.objects.raw(
        f"UPDATE {table} SET {lease} = %s "  # noqa: S608 - the model's own names, quoted
        f"WHERE {enabled} AND {next_poll} <= %s AND ({lease} IS NULL OR {lease} <= %s) "
        "RETURNING *",
        [adapt(lease_until), adapt(now + ahead), adapt(now)],
    )
    return sorted(claimed, key=lambda account: account.next_poll_at)


def claim_account(account_pk: int, now: datetime | None = None) -> ProviderAccount | None:
    """Take the lease on one account now, due or not (a poll asked for after an action);
    None while another poll holds it or the account is disabled."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.POLL_LEASE_S)
    won = (
        ProviderAccount.objects.filter(pk=account_pk, enabled=True)
        .exclude(lease_until__gt=now)
        .update(lease_until=lease_until, next_poll_at=now)
    )
    return ProviderAccount.objects.filter(pk=account_pk).first() if won else None


def request_poll(account: ProviderAccount) -> None:
    """Poll ``account`` as soon as possible (after an action, to show its effect).

    The next scheduler tick claims it; with Celery the dispatcher is also kicked at once so
    the poll does not wait for beat's next second.
    """
    ProviderAccount.objects.filter(pk=account.pk).update(next_poll_at=timezone.now())
    if settings.REDIS_URL:
        # By name: the task is the wiring's (it binds the hook), which monitoring never imports.
        current_app.send_task(DISPATCH_TASK)


_database_lost = False


@contextmanager
def database_outage_logged_once() -> Iterator[None]:
    """Swallow the errors of a lost database connection, logging once when it is lost and
    once when it is back; an error on a connection that still works (a deadlock, a bad
    query) is a bug and propagates."""
    global _database_lost
    try:
        yield
    except (OperationalError, InterfaceError) as err:
        if connection.connection is not None and connection.is_usable():
            raise
        if not _database_lost:
            _database_lost = True
            poll_log.warning("database unreachable, polling paused: %s", " ".join(str(err).split()))
        return
    if _database_lost:
        _database_lost = False
        poll_log.info("database reachable again, polling resumed")


def dispatch_due(ahead: timedelta, send: Callable[[ProviderAccount, datetime | None], None]) -> int:
    """Claim every account due before ``ahead`` from now and ``send`` each one to be polled,
    with its due time when that is still to come (so it runs on time, not a tick late)."""
    now = timezone.now()
    claimed = claim_due_accounts(now, ahead)
    for account in claimed:
        send(account, account.next_poll_at if account.next_poll_at > now else None)
    return len(claimed)


class EmbeddedScheduler:
    """The same claim-and-poll steps as Celery, in threads of this process."""

    def __init__(self, *, on_commit: CommitHook, tick_s: float = 0.2, workers: int = 4) -> None:
        self.on_commit = on_commit
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll")
        self._thread = threading.Thread(target=self._run, name="poll-scheduler", daemon=True)

    def start(self) -> EmbeddedScheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for account in claim_due_accounts():
                    self._pool.submit(self._poll, account)
                heartbeat.stamp()
            except Exception:
                log.exception("scheduler tick failed")
            finally:
                close_old_connections()
            self._stop.wait(self.tick_s)

    def _poll(self, account: ProviderAccount) -> None:
        try:
            poll_once(account, on_commit=self.on_commit)
        except Exception:
            log.exception("poll of %s crashed", account)
        finally:
            close_old_connections()
