"""From a click to the wall: after a successful action, the account is polled at once.

``after_action`` is the hook the URLconf hands the action view (actions never import the
wiring). It returns at once, so the person gets their answer first; the poll runs on a
Celery worker (with Redis) or on a thread of this process (the one-process modes, where the
in-memory channel layer reaches only this process's sockets). Where a feed watches the
account (Daktela), the feed usually shows the agent's change first and this poll finds it
already stored; the poll adds the queues' figures, for every vendor.

The poll takes the account's lease like any other. When a poll is already running it may
have read the vendor before the action, so the refresh waits for that lease to be free
(at most ``WAIT_S``) and polls again.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from celery import current_app
from django.conf import settings
from django.db import close_old_connections

from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.scheduler import REFRESH_TASK, claim_account
from wallboard.wiring.pipeline import poll

log = logging.getLogger("wallboard.wiring")

WAIT_S = 5.0
RETRY_S = 0.05

_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="refresh")


def refresh(account_pk: int) -> bool:
    """Poll the account now with the product's hook; False if no lease came free in time
    (then the ordinary schedule polls it, within its interval)."""
    deadline = time.monotonic() + WAIT_S
    while (account := claim_account(account_pk)) is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(RETRY_S)
    poll(account)
    return True


def _refresh_here(account_pk: int) -> None:
    try:
        refresh(account_pk)
    except Exception:
        log.exception("refresh of account %s after an action failed", account_pk)
    finally:
        close_old_connections()


def after_action(account: ProviderAccount) -> None:
    """The action hook: poll the account at once, off the request."""
    if settings.REDIS_URL:
        current_app.send_task(REFRESH_TASK, (account.pk,))
    else:
        _threads.submit(_refresh_here, account.pk)
