"""History size: a simulated day of a 500-agent call center polled every 2 simulated
seconds through the real pipeline (HTTP adapter, diff, store, publish) into PostgreSQL.

The engine runs on a ManualClock, so a simulated hour takes as long as its 1,800 polls take
to compute; a run shorter than 8 hours is extrapolated linearly (history grows with
changes, and the simulated traffic is stationary), and the report says so.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection

from providers.sim.engine import ManualClock, SimConfig
from tools.bench.harness import only_enabled, running, start_bench
from wallboard.monitoring import models as m
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.poll import poll_once

DAY_HOURS = 8
POLL_S = 2
HISTORY_MODELS = (m.AgentStatusSpan, m.QueueSample, m.PollLog)


def _sizes(part: str = "pg_total_relation_size") -> dict[str, int]:
    """Bytes per history table: ``pg_total_relation_size`` (heap, indexes, TOAST), or
    ``pg_indexes_size`` for the indexes alone."""
    assert part in ("pg_total_relation_size", "pg_indexes_size")
    sizes = {}
    with connection.cursor() as cursor:
        for model in HISTORY_MODELS:
            table = model._meta.db_table
            cursor.execute(f"SELECT {part}(%s)", [table])
            sizes[table] = int(cursor.fetchone()[0])
    return sizes


def _index_sizes() -> dict[str, int]:
    """Bytes per index of the history tables (which index costs what)."""
    sizes = {}
    with connection.cursor() as cursor:
        for model in HISTORY_MODELS:
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = %s::regclass",
                [model._meta.db_table],
            )
            sizes.update({name: int(size) for name, size in cursor.fetchall()})
    return sizes


def _truncate() -> None:
    with connection.cursor() as cursor:
        for model in HISTORY_MODELS:
            cursor.execute(f'TRUNCATE "{model._meta.db_table}"')


def _rows() -> int:
    return sum(model.objects.count() for model in HISTORY_MODELS)


def measure_history(
    agents: int, simulated_minutes: float, warmup_minutes: float = 2, seed: int = 21
) -> dict[str, Any]:
    """Rows per simulated day from the growth after a warm-up (calls first have to arrive
    in an empty center), plus one opening span per agent; bytes per day = what PostgreSQL
    holds at the end (tables, indexes, TOAST) plus the rest of the day's rows at the rate
    the measured rows grew it."""
    config = SimConfig(agents=agents, queues=max(1, agents // 10), seed=seed)
    started = time.monotonic()
    with running(start_bench("history", config)) as bench:
        only_enabled(bench.account)
        clock = bench.clock
        assert isinstance(clock, ManualClock)
        provider = bench.provider()
        _truncate()
        warmup = int(warmup_minutes * 60 / POLL_S)
        polls = int(simulated_minutes * 60 / POLL_S)
        rows_before, bytes_before, measured_from = 0, 0, time.monotonic()
        try:
            for i in range(warmup + polls):
                if i == warmup:
                    rows_before, bytes_before = _rows(), sum(_sizes().values())
                    measured_from = time.monotonic()
                clock.advance(POLL_S)
                poll_once(bench.account, on_commit=ignore, provider=provider)
            poll_ms = (time.monotonic() - measured_from) * 1000 / max(polls, 1)
        finally:
            provider.close()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does; it frees no file space
        sizes, index_sizes = _sizes(), _sizes("pg_indexes_size")
        by_index = _index_sizes()
        rows_by_table = {model._meta.db_table: model.objects.count() for model in HISTORY_MODELS}
    rows = sum(rows_by_table.values())
    bytes_per_row = sum(sizes.values()) / max(rows, 1)
    # What each row added after the warm-up: the growth rate of the tables with their
    # indexes, dead row versions and free space included (8 KB pages: a little coarse).
    marginal = (sum(sizes.values()) - bytes_before) / max(rows - rows_before, 1)
    rows_per_day = agents + (rows - rows_before) * DAY_HOURS * 60 / simulated_minutes
    # What is there now, plus the rest of the day's rows at the rate they grew the tables.
    day_bytes = sum(sizes.values()) + max(rows_per_day - rows, 0) * marginal
    return {
        "agents": agents,
        "queues": config.queues,
        "simulated_minutes": simulated_minutes + warmup_minutes,
        "measured_minutes": simulated_minutes,
        "extrapolated_to_hours": DAY_HOURS,
        "polls": warmup + polls,
        "wall_ms_per_poll": round(poll_ms, 1),
        "bytes_by_table": sizes,
        "rows_by_table": rows_by_table,
        "index_bytes_by_table": index_sizes,
        "bytes_by_index": by_index,
        "bytes_per_row": round(bytes_per_row, 1),
        "marginal_bytes_per_row": round(marginal, 1),
        # Average bytes/row would scale each relation's fixed first pages up with the rows.
        "mb_per_day_at_average_bytes": round(rows_per_day * bytes_per_row / 1e6, 2),
        "rows_per_day": round(rows_per_day),
        "mb_per_day": round(day_bytes / 1e6, 2),
        "run_s": round(time.monotonic() - started, 1),
    }
