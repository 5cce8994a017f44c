"""Celery wiring: beat runs ``dispatch_polls`` every second; workers run ``poll_account``.

While the database is unreachable every one of these tasks fails. Each worker process says
so once, and once when the database is back, rather than logging a traceback every second;
a poll cut off in the middle wrote nothing (its transaction never committed) and its account
is claimed again when the lease runs out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import cast

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import claim_due_accounts, poll_once

log = logging.getLogger("wallboard.poll")

_database_lost = False


@contextmanager
def _database_outage_logged_once() -> Iterator[None]:
    global _database_lost
    try:
        yield
    except (OperationalError, InterfaceError) as err:
        # An error on a connection that still works (a deadlock, a bad query) is a bug.
        if connection.connection is not None and connection.is_usable():
            raise
        if not _database_lost:
            _database_lost = True
            log.warning("database unreachable, polling paused: %s", " ".join(str(err).split()))
        return
    if _database_lost:
        _database_lost = False
        log.info("database reachable again, polling resumed")


@shared_task(ignore_result=True)
def dispatch_polls() -> int:
    """Queue one poll for each account due before beat's next call that this call claimed.

    A poll due before then is sent with its due time as ``eta``, so it runs on time rather
    than up to one beat period late.
    """
    with _database_outage_logged_once():
        now = timezone.now()
        beat_period = cast(float, settings.CELERY_BEAT_SCHEDULE["dispatch-polls"]["schedule"])
        claimed = claim_due_accounts(now, timedelta(seconds=beat_period))
        for account in claimed:
            # A poll that waited in the queue longer than its lease is worthless: by then the
            # account has been claimed again, so let it expire instead of running late.
            poll_account.apply_async(
                (account.pk,),
                eta=account.next_poll_at if account.next_poll_at > now else None,
                expires=settings.POLL_LEASE_S,
            )
        return len(claimed)
    return 0


@shared_task(ignore_result=True)
def poll_account(account_pk: int) -> None:
    with _database_outage_logged_once():
        account = ProviderAccount.objects.filter(pk=account_pk, enabled=True).first()
        if account is not None:
            poll_once(account)
