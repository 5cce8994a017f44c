"""Celery wiring: beat runs ``dispatch_polls`` every second; workers run ``poll_account``."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import claim_due_accounts, poll_once


@shared_task(ignore_result=True)
def dispatch_polls() -> int:
    """Queue one poll for each due account that this call managed to claim."""
    claimed = claim_due_accounts()
    for account in claimed:
        # A poll that waited in the queue longer than its lease is worthless: by then the
        # account has been claimed again, so let it expire instead of running late.
        poll_account.apply_async((account.pk,), expires=settings.POLL_LEASE_S)
    return len(claimed)


@shared_task(ignore_result=True)
def poll_account(account_pk: int) -> None:
    account = ProviderAccount.objects.filter(pk=account_pk, enabled=True).first()
    if account is not None:
        poll_once(account)
