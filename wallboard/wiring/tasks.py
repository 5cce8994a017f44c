"""Celery: beat runs ``dispatch_polls`` every second; workers run ``poll_account``, and
``refresh_account`` after an action.

Thin wrappers: the claims and the outage logging are monitoring's (``scheduler``), the poll
is monitoring's ``poll_once``; what this adds is the product's hook.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from celery import shared_task
from django.conf import settings

from wallboard.monitoring import heartbeat
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.scheduler import (
    DISPATCH_TASK,
    POLL_TASK,
    REFRESH_TASK,
    database_outage_logged_once,
    dispatch_due,
)
from wallboard.wiring.pipeline import poll
from wallboard.wiring.refresh import refresh


@shared_task(name=DISPATCH_TASK, ignore_result=True)
def dispatch_polls() -> int:
    """Queue one poll for each account due before beat's next call that this call claimed."""

    def send(account: ProviderAccount, eta: datetime | None) -> None:
        # A poll that waited in the queue longer than its lease is worthless: by then the
        # account has been claimed again, so let it expire instead of running late.
        poll_account.apply_async((account.pk,), eta=eta, expires=settings.POLL_LEASE_S)

    with database_outage_logged_once():
        beat_period = cast(float, settings.CELERY_BEAT_SCHEDULE["dispatch-polls"]["schedule"])
        dispatched = dispatch_due(timedelta(seconds=beat_period), send)
        heartbeat.stamp()
        return dispatched
    return 0


@shared_task(name=POLL_TASK, ignore_result=True)
def poll_account(account_pk: int) -> None:
    with database_outage_logged_once():
        account = ProviderAccount.objects.filter(pk=account_pk, enabled=True).first()
        if account is not None:
            poll(account)


@shared_task(name=REFRESH_TASK, ignore_result=True)
def refresh_account(account_pk: int) -> None:
    """A poll asked for after an action (``wiring.refresh``): at once, due or not."""
    with database_outage_logged_once():
        refresh(account_pk)
