"""``manage.py history_day``: simulate a day through the real poll path; measure history.

A seeded simulation engine on a manual clock is polled every ``--interval`` simulated
seconds through ``poll_once`` (normalise → diff → store, one transaction per poll); the
snapshots are the engine's ground truth (what an adapter recovers), handed over in
process instead of over HTTP, and nothing is pushed. Then it prints the rows and bytes
the history tables gained, and times the reports page for that day.

Run it against a scratch database: it adds an account and its history.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import RequestFactory

from providers.base import AccountConfig, Provider
from providers.model import Snapshot
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.models import AgentStatusSpan, ProviderAccount, QueueSample
from wallboard.monitoring.poll import poll_once
from wallboard.reports.days import day_of
from wallboard.reports.views import day_report

HISTORY_TABLES = ("monitoring_agentstatusspan", "monitoring_queuesample")


class EngineProvider(Provider):
    """Hands the engine's ground truth to ``poll_once`` without HTTP."""

    vendor = "engine"
    title = "Simulation engine"
    capabilities = frozenset()
    config_fields = ()

    def __init__(self, engine: CallCenter) -> None:
        super().__init__(AccountConfig(base_url="engine:", time_zone=engine.config.time_zone))
        self.engine = engine

    def fetch_snapshot(self) -> Snapshot:
        return self.engine.truth()


def _table_bytes() -> dict[str, int]:
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        return {
            table: cursor.execute("SELECT pg_total_relation_size(%s)", [table]).fetchone()[0]
            for table in HISTORY_TABLES
        }


class Command(BaseCommand):
    help = "Simulate a call-center day through the poll path and measure the history it adds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agents", type=int, default=500)
        parser.add_argument("--queues", type=int, default=50)
        parser.add_argument("--hours", type=float, default=8.0)
        parser.add_argument("--interval", type=int, default=2, help="Simulated poll interval, s")
        parser.add_argument("--calls-per-min", type=float, default=3.0, help="Per queue")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--start", default="2026-03-10T07:00:00+00:00", help="Simulated start (ISO 8601)"
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        start = datetime.fromisoformat(options["start"]).astimezone(UTC)
        clock = ManualClock(start)
        config = SimConfig(
            agents=options["agents"],
            queues=options["queues"],
            seed=options["seed"],
            calls_per_min_per_queue=options["calls_per_min"],
        )
        engine = CallCenter(config, clock)
        account = ProviderAccount.objects.create(
            name=f"history_day seed {config.seed}",
            vendor="daktela",
            base_url="http://engine.invalid",
            time_zone=config.time_zone,
            enabled=False,
        )
        provider = EngineProvider(engine)
        spans_before = AgentStatusSpan.objects.count()
        samples_before = QueueSample.objects.count()
        bytes_before = _table_bytes()
        polls = int(options["hours"] * 3600 / options["interval"])
        started = time.perf_counter()
        for _ in range(polls):
            # Nothing follows the commit: this measures what is stored, not the fan-out.
            poll_once(account, on_commit=ignore, provider=provider)
            clock.advance(options["interval"])
        poll_s = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in HISTORY_TABLES:
                    cursor.execute(f"VACUUM ANALYZE {table}")
        bytes_after = _table_bytes()
        spans = AgentStatusSpan.objects.count() - spans_before
        samples = QueueSample.objects.count() - samples_before
        grown = {t: bytes_after[t] - bytes_before.get(t, 0) for t in bytes_after}

        request = RequestFactory().get(
            f"/reports/{account.pk}/", {"day": day_of(account, clock.now()).isoformat()}
        )
        request.user = get_user_model()(username="history_day", is_active=True)
        render_ms = []
        size = 0
        for _ in range(3):
            t0 = time.perf_counter()
            response = day_report(request, account.pk)
            render_ms.append((time.perf_counter() - t0) * 1000)
            size = len(response.content)
        figures = {
            "agents": config.agents,
            "queues": config.queues,
            "hours": options["hours"],
            "polls": polls,
            "poll_seconds": round(poll_s, 1),
            "span_rows": spans,
            "sample_rows": samples,
            "history_bytes": grown,
            "history_mb": round(sum(grown.values()) / 1e6, 2) if grown else None,
            "report_render_ms": [round(ms) for ms in render_ms],
            "report_html_bytes": size,
            "account_id": account.pk,
            "end": (start + timedelta(seconds=polls * options["interval"])).isoformat(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        for key, value in figures.items():
            self.stdout.write(f"{key}: {value}")
