"""One poll of one account: fetch → diff → store → push (DESIGN §6).

``poll_once`` is the whole loop step. The Celery task and the embedded scheduler are thin
wrappers that decide *when* to call it; this module decides what a poll means: one
transaction per poll, one message per stored change, published only after the commit, and
a log line only when an account goes stale and when it recovers.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from providers.base import AccountConfig, Provider
from providers.errors import ProviderError, ProviderUnavailableError
from providers.model import Snapshot
from providers.registry import provider_class
from wallboard.dashboards.alerts import evaluate_account
from wallboard.live.publish import publish_account, publish_heartbeat
from wallboard.monitoring.diff import apply, diff, normalise
from wallboard.monitoring.models import PollLog, ProviderAccount
from wallboard.monitoring.store import StoredChanges, cached_state, remember_state, write_delta

log = logging.getLogger("wallboard.poll")


@dataclass(frozen=True, slots=True)
class PollResult:
    account_id: int
    ok: bool
    changes: int
    seq: int
    duration_ms: float
    error: str | None = None


def build_provider(account: ProviderAccount) -> Provider:
    return provider_class(account.vendor)(account.config())


# The poller keeps one adapter per account, so HTTP connections (and the TLS context, which
# costs ~45 ms to build) live across polls. A changed account setting builds a new one.
_providers: dict[int, tuple[AccountConfig, Provider]] = {}
_providers_lock = threading.Lock()


def polling_provider(account: ProviderAccount) -> Provider:
    config = account.config()
    with _providers_lock:
        cached = _providers.get(account.pk)
        if cached is not None and cached[0] == config:
            return cached[1]
        provider = provider_class(account.vendor)(config)
        _providers[account.pk] = (config, provider)
    if cached is not None:
        cached[1].close()
    return provider


def poll_once(account: ProviderAccount, *, provider: Provider | None = None) -> PollResult:
    """Poll ``account`` once and store and push whatever changed.

    A ``ProviderError`` marks the account stale (keeping everything stored) and backs off;
    any other exception is a bug and propagates.
    """
    started = time.perf_counter()
    active = provider or polling_provider(account)
    try:
        snapshot = active.fetch_snapshot()
    except ProviderError as err:
        return _record_failure(account, err, started)
    return _record_snapshot(account, snapshot, started)


def _status(snapshot: Snapshot) -> tuple[list[str], str]:
    return sorted(part.value for part in snapshot.failed), "; ".join(snapshot.errors)


def _record_snapshot(account: ProviderAccount, snapshot: Snapshot, started: float) -> PollResult:
    with transaction.atomic():
        acc = ProviderAccount.objects.select_for_update().get(pk=account.pk)
        previous = cached_state(acc)
        state = normalise(snapshot, previous)
        delta = diff(previous, state, snapshot.taken_at)
        stale_parts, error = _status(snapshot)
        status_changed = acc.stale or acc.stale_parts != stale_parts or acc.last_error != error
        if (acc.stale or acc.stale_parts) and not stale_parts:
            log.info("%s: polling recovered", acc)
        elif stale_parts and (acc.stale or not acc.stale_parts):
            log.warning(
                "%s: polling %s failed, keeping their data: %s", acc, ", ".join(stale_parts), error
            )
        changes: StoredChanges | None = None
        if delta:
            changes = write_delta(acc, delta, snapshot.taken_at)
        if delta or status_changed:
            acc.seq += 1
        acc.stale = False
        acc.stale_parts = stale_parts
        acc.last_error = error
        acc.consecutive_failures = 0
        acc.last_success_at = snapshot.taken_at
        acc.last_attempt_at = snapshot.taken_at
        acc.next_poll_at = _next_poll(acc, snapshot.taken_at, 0)
        acc.lease_until = None
        acc.save(update_fields=_POLL_FIELDS)
        duration_ms = (time.perf_counter() - started) * 1000
        if status_changed:
            PollLog.objects.create(account=acc, duration_ms=duration_ms, ok=True, error=error)
        stored = apply(previous, delta) if delta else previous
        seq = acc.seq
        transaction.on_commit(partial(remember_state, acc, stored))
        if delta or status_changed:
            transaction.on_commit(
                partial(publish_account, acc.pk, seq, changes, status_changed), robust=True
            )
        else:
            transaction.on_commit(partial(publish_heartbeat, acc.pk, seq), robust=True)
        transaction.on_commit(partial(evaluate_account, acc.pk), robust=True)
    return PollResult(acc.pk, True, len(delta), seq, duration_ms, error or None)


def _record_failure(account: ProviderAccount, err: ProviderError, started: float) -> PollResult:
    now = timezone.now()
    message = str(err)
    with transaction.atomic():
        acc = ProviderAccount.objects.select_for_update().get(pk=account.pk)
        became_stale = not acc.stale
        if became_stale:
            since = timezone.localtime(acc.last_success_at) if acc.last_success_at else None
            log.warning(
                "%s: polling failed, showing data from %s: %s",
                acc,
                since.strftime("%H:%M:%S") if since else "never",
                message,
            )
        changed = became_stale or acc.last_error != message
        acc.consecutive_failures += 1
        acc.stale = True
        acc.last_error = message
        acc.last_attempt_at = now
        retry_after = err.retry_after_s if isinstance(err, ProviderUnavailableError) else None
        acc.next_poll_at = _next_poll(acc, now, acc.consecutive_failures, retry_after)
        acc.lease_until = None
        if changed:
            acc.seq += 1
        acc.save(update_fields=_POLL_FIELDS)
        duration_ms = (time.perf_counter() - started) * 1000
        PollLog.objects.create(account=acc, duration_ms=duration_ms, ok=False, error=message)
        if changed:
            transaction.on_commit(
                partial(publish_account, acc.pk, acc.seq, None, True), robust=True
            )
        else:
            transaction.on_commit(partial(publish_heartbeat, acc.pk, acc.seq), robust=True)
        transaction.on_commit(partial(evaluate_account, acc.pk), robust=True)
    return PollResult(acc.pk, False, 0, acc.seq, duration_ms, message)


_POLL_FIELDS = [
    "seq",
    "stale",
    "stale_parts",
    "last_error",
    "consecutive_failures",
    "last_success_at",
    "last_attempt_at",
    "next_poll_at",
    "lease_until",
]


def _next_poll(
    account: ProviderAccount, now: datetime, failures: int, retry_after: float | None = None
) -> datetime:
    """After a success, one interval after the time this poll was due (never in the past);
    after failures, back-off with jitter from ``now``: doubling, but never past two
    intervals, so a provider that comes back is seen within two intervals (and never before
    the vendor's Retry-After).

    Anchoring on the due time keeps a fixed cadence: a poll claimed late (by up to a
    scheduler tick) or slow to fetch does not push every later poll back by as much.
    """
    interval = float(account.poll_interval_s)
    if failures == 0:
        # A poll run before it was due (``poll --once``, one asked for after an action)
        # starts the cadence afresh instead of pushing the schedule an interval further.
        due = min(account.next_poll_at, now)
        return max(due + timedelta(seconds=interval), now)
    cap = min(2 * interval, float(settings.POLL_BACKOFF_MAX_S))
    backoff = min(interval * 2 ** (failures - 1), cap) * random.uniform(0.9, 1.0)
    if retry_after is not None:
        backoff = max(backoff, retry_after)
    return now + timedelta(seconds=backoff)


def claim_due_accounts(
    now: datetime | None = None, ahead: timedelta = timedelta(0)
) -> list[ProviderAccount]:
    """Take a lease on every account that is due (or due within ``ahead``) and not being
    polled.

    Each claim is one atomic UPDATE, so several schedulers (two beat processes by mistake,
    several workers) never poll one account twice at once; a poll that dies keeps its lease
    only until it expires, and then the account is claimed again.
    """
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.POLL_LEASE_S)
    due_by = now + ahead
    due = ProviderAccount.objects.filter(enabled=True, next_poll_at__lte=due_by).exclude(
        lease_until__gt=now
    )
    claimed = []
    for account in due:
        won = (
            ProviderAccount.objects.filter(pk=account.pk, next_poll_at__lte=due_by)
            .exclude(lease_until__gt=now)
            .update(lease_until=lease_until)
        )
        if won:
            account.lease_until = lease_until
            claimed.append(account)
    return claimed


def request_poll(account: ProviderAccount) -> None:
    """Poll ``account`` as soon as possible (after an action, to show its effect).

    The next scheduler tick claims it; with Celery the dispatcher is also kicked at once so
    the poll does not wait for beat's next second.
    """
    ProviderAccount.objects.filter(pk=account.pk).update(next_poll_at=timezone.now())
    if settings.REDIS_URL:
        from wallboard.monitoring.tasks import dispatch_polls

        dispatch_polls.delay()
