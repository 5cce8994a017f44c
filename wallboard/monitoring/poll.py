"""One poll of one account: fetch → diff → store, then the caller's hook (DESIGN §6).

``poll_once`` is the whole loop step. The Celery task and the embedded scheduler are thin
wrappers that decide *when* to call it; this module decides what a poll means: one
transaction per poll, one ``Committed`` handed to the hook after the commit (what follows —
pushing, alerts — is the hook's business, ``wallboard.wiring``), and a log line only when an
account goes stale and when it recovers.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from providers.base import Provider
from providers.errors import ProviderError, ProviderUnavailableError
from providers.model import Snapshot
from wallboard.monitoring.adapters import polling_provider
from wallboard.monitoring.current import StoredChanges, write_delta
from wallboard.monitoring.diff import apply, diff, normalise
from wallboard.monitoring.hooks import CommitHook, Committed
from wallboard.monitoring.models import PollLog, ProviderAccount
from wallboard.monitoring.read_model import cached_state, remember_state

log = logging.getLogger("wallboard.poll")


@dataclass(frozen=True, slots=True)
class PollResult:
    account_id: int
    ok: bool
    changes: int
    seq: int
    duration_ms: float
    error: str | None = None


def poll_once(
    account: ProviderAccount, *, on_commit: CommitHook, provider: Provider | None = None
) -> PollResult:
    """Poll ``account`` once, store whatever changed, and hand ``on_commit`` what the
    committed transaction did.

    A ``ProviderError`` marks the account stale (keeping everything stored) and backs off;
    any other exception is a bug and propagates.
    """
    started = time.perf_counter()
    active = provider or polling_provider(account)
    try:
        snapshot = active.fetch_snapshot()
    except ProviderError as err:
        return _record_failure(account, err, started, on_commit)
    return _record_snapshot(account, snapshot, started, on_commit)


def _status(snapshot: Snapshot) -> tuple[list[str], str]:
    return sorted(part.value for part in snapshot.failed), "; ".join(snapshot.errors)


def _record_snapshot(
    account: ProviderAccount, snapshot: Snapshot, started: float, on_commit: CommitHook
) -> PollResult:
    with transaction.atomic():
        acc = ProviderAccount.objects.select_for_update().get(pk=account.pk)
        previous, ids = cached_state(acc)
        state = normalise(snapshot, previous)
        delta = diff(previous, state, snapshot.taken_at)
        stale_parts, error = _status(snapshot)
        status_changed = acc.stale or acc.stale_parts != stale_parts or acc.last_error != error
        if acc.feed_live and not _feed_held(acc, snapshot.taken_at):
            # The watcher died without saying so: its lease ran out, this poll stands in.
            log.warning("%s: feed watcher gone, polling", acc)
            acc.feed_live = False
            status_changed = True
        if (acc.stale or acc.stale_parts) and not stale_parts:
            log.info("%s: polling recovered", acc)
        elif stale_parts and (acc.stale or not acc.stale_parts):
            log.warning(
                "%s: polling %s failed, keeping their data: %s", acc, ", ".join(stale_parts), error
            )
        changes: StoredChanges | None = None
        stored = apply(previous, delta) if delta else previous
        if delta:
            changes = write_delta(acc, delta, snapshot.taken_at, stored, (previous, ids))
            ids = changes.ids or ids
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
        transaction.on_commit(partial(remember_state, acc, stored, ids))
        event = Committed(
            account_pk=acc.pk,
            vendor=acc.vendor,
            seq=acc.seq,
            ok=True,
            duration_ms=duration_ms,
            changes=changes,
            status_changed=status_changed,
            error=error or None,
        )
        transaction.on_commit(partial(on_commit, event), robust=True)
    return PollResult(acc.pk, True, len(delta), acc.seq, duration_ms, error or None)


def _record_failure(
    account: ProviderAccount, err: ProviderError, started: float, on_commit: CommitHook
) -> PollResult:
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
        event = Committed(
            account_pk=acc.pk,
            vendor=acc.vendor,
            seq=acc.seq,
            ok=False,
            duration_ms=duration_ms,
            status_changed=changed,
            error=message,
            error_kind=type(err).__name__,
        )
        transaction.on_commit(partial(on_commit, event), robust=True)
    return PollResult(acc.pk, False, 0, acc.seq, duration_ms, message)


_POLL_FIELDS = [
    "seq",
    "feed_live",
    "stale",
    "stale_parts",
    "last_error",
    "consecutive_failures",
    "last_success_at",
    "last_attempt_at",
    "next_poll_at",
    "lease_until",
]


def _feed_held(account: ProviderAccount, now: datetime) -> bool:
    return account.feed_lease_until is not None and account.feed_lease_until > now


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
