"""Celery: beat runs ``send_notifications`` every few seconds (the retries), and a poll that
queued deliveries sends it at once; a thin wrapper around ``sender.send_due``."""

from __future__ import annotations

from celery import shared_task

from wallboard.monitoring.scheduler import database_outage_logged_once
from wallboard.notifications.sender import SEND_TASK, send_due


@shared_task(name=SEND_TASK, ignore_result=True)
def send_notifications() -> int:
    with database_outage_logged_once():
        return send_due()
    return 0
