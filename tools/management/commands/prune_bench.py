"""``manage.py prune_bench``: time batched pruning on a large history table (PostgreSQL).

Fills a scratch database with synthetic spans and samples spread evenly over ``--days``,
then runs ``prune_history`` while another connection keeps doing what the poller and the
reports page do (insert a span, close a span, read a recent range). It prints the batch
timings, the concurrent statements' latencies, and every table-level lock other than
ROW EXCLUSIVE / ACCESS SHARE seen on the history tables while pruning ran.

Run it against a scratch database only: it adds an account and millions of rows.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections
from django.utils import timezone

from wallboard.monitoring.models import Agent, ProviderAccount, Queue
from wallboard.reports.prune import prune_history

TABLES = ("monitoring_agentstatusspan", "monitoring_queuesample", "monitoring_polllog")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Command(BaseCommand):
    help = "Measure batched pruning of a large history table while the poller keeps writing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--spans", type=int, default=2_000_000)
        parser.add_argument("--samples", type=int, default=500_000)
        parser.add_argument("--agents", type=int, default=500)
        parser.add_argument("--queues", type=int, default=50)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--retention-days", type=int, default=30)
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("prune_bench needs PostgreSQL")
        now = timezone.now()
        account = ProviderAccount.objects.create(
            name="prune_bench", vendor="daktela", base_url="http://bench.invalid", enabled=False
        )
        Agent.objects.bulk_create(
            Agent(account=account, vendor_id=str(i), name=f"Agent {i}", status="IDLE")
            for i in range(options["agents"])
        )
        Queue.objects.bulk_create(
            Queue(account=account, vendor_id=str(i), name=f"Queue {i}")
            for i in range(options["queues"])
        )
        agent_ids = list(Agent.objects.filter(account=account).values_list("pk", flat=True))
        queue_ids = list(Queue.objects.filter(account=account).values_list("pk", flat=True))
        oldest = now - timedelta(days=options["days"])
        seconds = options["days"] * 86400
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # Spans of each agent follow each other; samples are spread across queues.
            cursor.execute(
                """
                INSERT INTO monitoring_agentstatusspan
                    (agent_id, status, pause_reason, started_at, ended_at)
                SELECT (%s::bigint[])[1 + n %% %s],
                       (ARRAY['IDLE','RINGING','TALKING','WRAP_UP','PAUSED'])[1 + n %% 5],
                       '', %s + make_interval(secs => n * %s::float / %s),
                       %s + make_interval(secs => (n + %s) * %s::float / %s)
                FROM generate_series(0, %s - 1) AS n
                """,
                [
                    agent_ids,
                    len(agent_ids),
                    oldest,
                    seconds,
                    options["spans"],
                    oldest,
                    len(agent_ids),
                    seconds,
                    options["spans"],
                    options["spans"],
                ],
            )
            cursor.execute(
                """
                INSERT INTO monitoring_queuesample (queue_id, taken_at, calls_waiting)
                SELECT (%s::bigint[])[1 + n %% %s],
                       %s + make_interval(secs => n * %s::float / %s), n %% 7
                FROM generate_series(0, %s - 1) AS n
                """,
                [
                    queue_ids,
                    len(queue_ids),
                    oldest,
                    seconds,
                    options["samples"],
                    options["samples"],
                ],
            )
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
        fill_s = time.perf_counter() - started

        stop = threading.Event()
        latencies: dict[str, list[float]] = {"insert": [], "update": [], "select": []}
        locks: set[str] = set()

        def poller_like() -> None:
            conn = connections.create_connection("default")
            try:
                with conn.cursor() as cur:
                    while not stop.is_set():
                        t0 = time.perf_counter()
                        cur.execute(
                            "INSERT INTO monitoring_agentstatusspan "
                            "(agent_id, status, pause_reason, started_at) "
                            "VALUES (%s, 'IDLE', '', now()) RETURNING id",
                            [agent_ids[0]],
                        )
                        new_id = cur.fetchone()[0]
                        latencies["insert"].append((time.perf_counter() - t0) * 1000)
                        t0 = time.perf_counter()
                        cur.execute(
                            "UPDATE monitoring_agentstatusspan SET ended_at = now() WHERE id = %s",
                            [new_id],
                        )
                        latencies["update"].append((time.perf_counter() - t0) * 1000)
                        t0 = time.perf_counter()
                        cur.execute(
                            "SELECT count(*) FROM monitoring_agentstatusspan "
                            "WHERE agent_id = %s AND started_at >= now() - interval '1 day'",
                            [agent_ids[1]],
                        )
                        cur.fetchone()
                        latencies["select"].append((time.perf_counter() - t0) * 1000)
                        time.sleep(0.02)
            finally:
                conn.close()

        def lock_watcher() -> None:
            conn = connections.create_connection("default")
            try:
                with conn.cursor() as cur:
                    while not stop.is_set():
                        cur.execute(
                            "SELECT c.relname, l.mode FROM pg_locks l "
                            "JOIN pg_class c ON c.oid = l.relation "
                            "WHERE c.relname = ANY(%s) AND l.locktype = 'relation'",
                            [list(TABLES)],
                        )
                        for relname, mode in cur.fetchall():
                            if mode not in ("RowExclusiveLock", "AccessShareLock"):
                                locks.add(f"{relname}:{mode}")
                        time.sleep(0.005)
            finally:
                conn.close()

        threads = [threading.Thread(target=poller_like), threading.Thread(target=lock_watcher)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        try:
            result = prune_history(
                now=now, retention_days=options["retention_days"], batch_size=options["batch_size"]
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        batches = result.batch_ms
        figures = {
            "rows_before": {"spans": options["spans"], "samples": options["samples"]},
            "fill_seconds": round(fill_s, 1),
            "deleted": result.deleted,
            "batch_size": options["batch_size"],
            "batches": len(batches),
            "batch_ms_median": round(statistics.median(batches), 1) if batches else None,
            "batch_ms_p99": round(_pct(batches, 0.99), 1),
            "batch_ms_max": round(max(batches), 1) if batches else None,
            "prune_seconds": round(sum(batches) / 1000, 1),
            "concurrent_ms_p99": {k: round(_pct(v, 0.99), 1) for k, v in latencies.items()},
            "concurrent_ms_max": {k: round(max(v), 1) if v else None for k, v in latencies.items()},
            "concurrent_statements": {k: len(v) for k, v in latencies.items()},
            "table_locks_other_than_row_exclusive": sorted(locks),
        }
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        for key, value in figures.items():
            self.stdout.write(f"{key}: {value}")
