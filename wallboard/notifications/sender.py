"""Sending what is due, the same way in every mode: a delivery row waits with its
``next_attempt_at``; whoever drains (``send_due``) claims due rows with an atomic UPDATE,
tries each once, logs the attempt, and either marks it delivered, schedules the next try
with exponential back-off, or gives up after ``NOTIFY_MAX_ATTEMPTS``.

Who drains: with Redis, Celery (beat runs ``wallboard.send_notifications`` every few
seconds, and a poll that queued deliveries kicks it at once); without, the embedded
``DeliverySender`` thread of the process that polls (``wiring.pipeline.embedded_scheduler``).
A sender killed mid-way keeps its claim only for ``NOTIFY_LEASE_S``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wallboard.dashboards.models import Alert
from wallboard.notifications.episodes import queue_deliveries
from wallboard.notifications.models import Attempt, Delivery, Status
from wallboard.notifications.transports import TRANSPORTS, TransportError

log = logging.getLogger("wallboard.notifications")

# The Celery task (``wallboard.notifications.tasks``), also named in CELERY_BEAT_SCHEDULE.
SEND_TASK = "wallboard.send_notifications"

# Set when deliveries were queued: wakes this process's embedded sender, if it runs one.
_queued = threading.Event()


def notify(changed: dict[int, list[Alert]]) -> int:
    """The pipeline's step: queue what the changed alert levels call for, and have it sent
    now rather than at the next drain. The number of deliveries queued."""
    alerts = [alert for board_alerts in changed.values() for alert in board_alerts]
    if not alerts:
        return 0  # most polls: no shown level moved, so not even a transaction
    created = queue_deliveries(alerts)
    if created:
        request_sending()
    return len(created)


def request_sending() -> None:
    _queued.set()
    if settings.REDIS_URL:
        current_app.send_task(SEND_TASK)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: the base, then twice as long each
    time, capped."""
    seconds = settings.NOTIFY_RETRY_BASE_S * 2 ** (attempts - 1)
    return timedelta(seconds=min(seconds, settings.NOTIFY_RETRY_MAX_S))


def claim_due(now: datetime, limit: int = 50) -> list[Delivery]:
    """Take a lease on up to ``limit`` deliveries that are due and not being sent."""
    lease_until = now + timedelta(seconds=settings.NOTIFY_LEASE_S)
    due = (
        Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .exclude(lease_until__gt=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    claimed = []
    for pk in list(due):
        won = (
            Delivery.objects.filter(pk=pk, status=Status.PENDING)
            .exclude(lease_until__gt=now)
            .update(lease_until=lease_until)
        )
        if won:
            claimed.append(pk)
    ready = Delivery.objects.filter(pk__in=claimed).select_related("rule")
    return list(ready.order_by("next_attempt_at", "pk"))


def _try(delivery: Delivery) -> tuple[int | None, str, bool]:
    """Send once: (HTTP status, error or "", permanent)."""
    rule = delivery.rule
    if rule is None or not rule.enabled:
        return None, _("The rule was deleted or switched off: not sent"), True
    with translation.override(rule.language):
        try:
            return TRANSPORTS[rule.channel](rule).send(delivery), "", False
        except TransportError as err:
            return err.status_code, str(err), err.permanent
        except Exception as err:
            # A bug, not the receiver: logged, and retried like any failure, never looped on.
            log.exception("delivery %s crashed", delivery.pk)
            return None, _("Internal error: %(error)s") % {"error": err}, False


def attempt(delivery: Delivery) -> bool:
    """One try, logged; True when delivered."""
    started = timezone.now()
    clock = time.perf_counter()
    status_code, error, permanent = _try(delivery)
    duration_ms = (time.perf_counter() - clock) * 1000
    finished = timezone.now()
    delivery.attempts += 1
    delivery.lease_until = None
    if not error:
        delivery.status, delivery.delivered_at, delivery.last_error = (
            Status.DELIVERED,
            finished,
            "",
        )
    elif permanent or delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        delivery.status = Status.FAILED
        language = delivery.rule.language if delivery.rule else settings.LANGUAGE_CODE
        with translation.override(language):
            delivery.last_error = (
                error
                if permanent
                else _("Gave up after %(count)d attempts. Last error: %(error)s")
                % {"count": delivery.attempts, "error": error}
            )
        log.warning("delivery %s to %s failed: %s", delivery.pk, delivery.destination, error)
    else:
        delivery.next_attempt_at = finished + backoff(delivery.attempts)
        delivery.last_error = error
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started,
            duration_ms=duration_ms,
            status_code=status_code,
            error=error,
        )
        delivery.save(
            update_fields=[
                "attempts",
                "lease_until",
                "status",
                "delivered_at",
                "last_error",
                "next_attempt_at",
            ]
        )
    return not error


def send_due(now: datetime | None = None) -> int:
    """Try every delivery that is due once; how many were tried."""
    claimed = claim_due(now or timezone.now())
    for delivery in claimed:
        attempt(delivery)
    return len(claimed)


class DeliverySender:
    """The embedded mode's drain: a thread that sends what is due every ``tick_s``, and at
    once when this process queued something."""

    def __init__(self, *, tick_s: float = 1.0) -> None:
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)

    def start(self) -> DeliverySender:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        _queued.set()
        self._thread.join(timeout=settings.NOTIFY_TIMEOUT_S + 5)

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            _queued.clear()
            try:
                while send_due() and not self._stop.is_set():
                    pass
                failing = False
            except Exception:
                # Once per outage (a lost database fails every tick), not every second.
                if not failing:
                    log.exception("sending notifications failed")
                failing = True
            finally:
                close_old_connections()
            _queued.wait(self.tick_s)
