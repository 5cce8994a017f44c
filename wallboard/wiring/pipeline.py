"""What follows a committed poll, and the poll and scheduler bound to it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from providers.base import Provider
from wallboard import metrics
from wallboard.dashboards.alerts import evaluate_account
from wallboard.live.publish import publish_account, publish_alerts, publish_heartbeat
from wallboard.monitoring.hooks import Committed
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import PollResult, poll_once
from wallboard.monitoring.scheduler import EmbeddedScheduler

log = logging.getLogger("wallboard.wiring")


def _push(event: Committed) -> None:
    if event.changed:
        started = time.perf_counter()
        publish_account(event.account_pk, event.seq, event.changes, event.status_changed)
        metrics.PUSH_LATENCY.observe(time.perf_counter() - started)
    else:
        publish_heartbeat(event.account_pk, event.seq)


def _alerts(event: Committed) -> None:
    publish_alerts(evaluate_account(event.account_pk))


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


STEPS: tuple[Callable[[Committed], None], ...] = (_push, _alerts, _metrics)


def after_commit(event: Committed) -> None:
    """The product's hook: each step runs whatever the others did (a failed push must not
    keep a board's alarm from being evaluated); a failing step is a bug, logged."""
    for step in STEPS:
        try:
            step(event)
        except Exception:
            log.exception("%s after a change of account %s failed", step.__name__, event.account_pk)


def poll(account: ProviderAccount, *, provider: Provider | None = None) -> PollResult:
    """``poll_once`` with the product's hook."""
    return poll_once(account, on_commit=after_commit, provider=provider)


def embedded_scheduler(*, tick_s: float = 0.2, workers: int = 4) -> EmbeddedScheduler:
    """The in-process scheduler (embedded mode, tests) with the product's hook."""
    return EmbeddedScheduler(on_commit=after_commit, tick_s=tick_s, workers=workers)
