"""``GET /metrics``: what the processes counted (``wallboard.metrics``) and what the
database says now, read at scrape time (ADR 024).

Data age, staleness, overdue polls and alert levels are read from the tables at each scrape
rather than kept in gauges by the pollers: the rows are already the truth, every process
sees the same, and three indexed queries every 15 s cost less than a gauge update on every
poll. If the database is down those series are left out and ``wallboard_dependency_up``
says so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from wallboard import metrics
from wallboard.dashboards.models import Alert, Board, Level
from wallboard.monitoring import heartbeat
from wallboard.monitoring.models import ProviderAccount
from wallboard.wiring.health import dependencies

ACCOUNT = ["account", "vendor"]


class StateCollector(Collector):
    """The database's view of every enabled account and every board's alert levels."""

    def collect(self) -> Iterator[Metric]:
        checks = dependencies()
        up = GaugeMetricFamily(
            "wallboard_dependency_up",
            "1 when this process reaches the dependency (database; redis when configured).",
            labels=["dependency"],
        )
        for name, check in checks.items():
            up.add_metric([name], 1 if check.ok else 0)
        yield up
        yield from self._heartbeat()
        if checks["database"].ok:
            try:
                families = list(self._accounts()) + list(self._alerts())
            except DatabaseError:
                return
            yield from families

    def _heartbeat(self) -> Iterator[Metric]:
        try:
            stamped = heartbeat.last()
        except Exception:  # the cache's backend is down; dependency_up says which
            return
        if stamped is not None:
            yield GaugeMetricFamily(
                "wallboard_scheduler_heartbeat_age_seconds",
                "Seconds since polls were last dispatched (Celery beat's dispatch task, or the "
                "in-process scheduler's tick).",
                value=max(0.0, time.time() - stamped),
            )

    def _accounts(self) -> Iterator[Metric]:
        now = timezone.now()
        info = GaugeMetricFamily(
            "wallboard_account_info",
            "Enabled provider accounts (1), with their names.",
            labels=[*ACCOUNT, "name"],
        )
        age = GaugeMetricFamily(
            "wallboard_data_age_seconds",
            "Seconds since the account's last successful poll.",
            labels=ACCOUNT,
        )
        stale = GaugeMetricFamily(
            "wallboard_account_stale",
            "1 while the account's last poll failed (its screens say “stale since …”).",
            labels=ACCOUNT,
        )
        overdue = GaugeMetricFamily(
            "wallboard_poll_overdue_seconds",
            "Seconds the account's next poll is past due (0 when not due; a poll in progress "
            "is due until it commits).",
            labels=ACCOUNT,
        )
        rows = ProviderAccount.objects.filter(enabled=True).values_list(
            "pk", "vendor", "name", "last_success_at", "stale", "next_poll_at"
        )
        for pk, vendor, name, last_success_at, is_stale, next_poll_at in rows:
            labels = [str(pk), vendor]
            info.add_metric([*labels, name], 1)
            if last_success_at is not None:
                age.add_metric(labels, max(0.0, (now - last_success_at).total_seconds()))
            stale.add_metric(labels, 1 if is_stale else 0)
            overdue.add_metric(labels, max(0.0, (now - next_poll_at).total_seconds()))
        yield from (info, age, stale, overdue)

    def _alerts(self) -> Iterator[Metric]:
        boards = GaugeMetricFamily(
            "wallboard_board_info", "Boards (1), with their names.", labels=["board", "name"]
        )
        for pk, name in Board.objects.values_list("pk", "name"):
            boards.add_metric([str(pk), name], 1)
        levels = GaugeMetricFamily(
            "wallboard_alert_level",
            "The level a board shows where it is not OK: 1 warning, 2 alarm; per queue, and "
            'with queue="" for the account itself (2 while it is stale).',
            labels=["board", "account", "queue"],
        )
        # OK slots are left out: a wall of a hundred queues on ten boards would otherwise
        # be thousands of series of zeros.
        rows = Alert.objects.filter(level__gt=Level.OK).values_list(
            "board_id", "account_id", "queue_id", "level"
        )
        for board, account, queue, level in rows:
            levels.add_metric(
                [str(board), str(account), "" if queue is None else str(queue)], level
            )
        yield from (boards, levels)


class _Scrape(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from metrics.process_collector().collect()


def exposition(accept: str) -> tuple[bytes, str]:
    """The scrape's body and its content type (the text format, or OpenMetrics if asked)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape())
    registry.register(StateCollector())
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type
