"""What follows a committed poll (or a fed change), and the poll, scheduler and feed
supervisor bound to it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from providers.base import Provider
from wallboard import metrics
from wallboard.dashboards.alerts import evaluate_account
from wallboard.dashboards.forecast import refresh_plan
from wallboard.dashboards.models import Alert
from wallboard.live.publish import publish_account, publish_alerts, publish_heartbeat
from wallboard.monitoring.feeds import FeedSupervisor
from wallboard.monitoring.hooks import Committed
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import PollResult, poll_once
from wallboard.monitoring.scheduler import EmbeddedScheduler
from wallboard.notifications.sender import DeliverySender, notify

log = logging.getLogger("wallboard.wiring")


def _push(event: Committed) -> None:
    if event.changed:
        started = time.perf_counter()
        publish_account(event.account_pk, event.seq, event.changes, event.status_changed)
        metrics.PUSH_LATENCY.observe(time.perf_counter() - started)
    else:
        publish_heartbeat(event.account_pk, event.seq)


Changed = dict[int, list[Alert]]
T = TypeVar("T")

# Who hears of the alert levels a poll changed: the board's screens, and the notification
# rules (by webhook, e-mail, Slack, Teams). The levels are evaluated once for both.
ALERT_STEPS: tuple[Callable[[Changed], object], ...] = (publish_alerts, notify)


def _run_isolated(steps: tuple[Callable[[T], object], ...], value: T, account_pk: int) -> None:
    for step in steps:
        try:
            step(value)
        except Exception:
            log.exception("%s after a change of account %s failed", step.__name__, account_pk)


def _alerts(event: Committed) -> None:
    """The levels read the account's queues and status, and the time: a poll re-evaluates
    them all, a fed change only where it touched one (an agent's does not: the vendor's
    queue figures come with the poll, which re-evaluates them within its interval)."""
    touched = event.status_changed or (event.changes is not None and event.changes.queues)
    if event.source == "poll" or touched:
        _run_isolated(ALERT_STEPS, evaluate_account(event.account_pk), event.account_pk)


def _metrics(event: Committed) -> None:
    """Count the poll (ADR 024); what the database holds is read at scrape time."""
    if event.source != "poll":
        return
    account = str(event.account_pk)
    result = ("partial" if event.error else "ok") if event.ok else "failed"
    metrics.POLLS.labels(account, event.vendor, result).inc()
    metrics.POLL_DURATION.labels(event.vendor).observe(event.duration_ms / 1000)
    if event.error_kind:
        kind = metrics.error_kind(event.error_kind)
        metrics.VENDOR_ERRORS.labels(account, event.vendor, kind).inc()


def _plan(event: Committed) -> None:
    """The forecast's plan, computed again once it has aged, after the push so that no
    change waits for it; a fed change reads no plan (it shows no queue)."""
    if event.source == "poll" and event.changed:
        refresh_plan(event.account_pk)


STEPS: tuple[Callable[[Committed], None], ...] = (_push, _alerts, _metrics, _plan)


def after_commit(event: Committed) -> None:
    """The product's hook: each step runs whatever the others did (a failed push must not
    keep a board's alarm from being evaluated, nor Redis down keep an e-mail from being
    queued); a failing step is a bug, logged."""
    _run_isolated(STEPS, event, event.account_pk)


def poll(account: ProviderAccount, *, provider: Provider | None = None) -> PollResult:
    """``poll_once`` with the product's hook."""
    return poll_once(account, on_commit=after_commit, provider=provider)


class Embedded:
    """What Celery beat and workers do, in threads of this process (embedded mode, tests):
    the polls with the product's hook, and the notification deliveries they queue."""

    def __init__(self, *, tick_s: float, workers: int) -> None:
        self.polls = EmbeddedScheduler(on_commit=after_commit, tick_s=tick_s, workers=workers)
        self.deliveries = DeliverySender()

    def start(self) -> Embedded:
        self.polls.start()
        self.deliveries.start()
        return self

    def stop(self) -> None:
        self.polls.stop()
        self.deliveries.stop()


def embedded_scheduler(*, tick_s: float = 0.2, workers: int = 4) -> Embedded:
    """The in-process scheduler (embedded mode, tests) with the product's hook."""
    return Embedded(tick_s=tick_s, workers=workers)


def feed_supervisor(*, tick_s: float | None = None) -> FeedSupervisor:
    """The vendor feeds' supervisor (``manage.py watch``, the one-process modes) with the
    product's hook: fed changes are pushed, alerted and notified as polled ones are."""
    return FeedSupervisor(on_commit=after_commit, tick_s=tick_s)
