"""What the metrics cost per poll (ADR 024), measured, never asserted:

- a whole poll (fetch replayed, parse, diff, store, push, alerts) with the product's hook,
  against the same poll with the same hook minus its metrics step: two accounts on one
  simulated call center, fed the same recorded replies, in alternating order;
- the metrics step alone, in this process's mode and in multiprocess mode;
- one scrape of ``/metrics`` (what the processes counted, and the accounts and alert levels
  read from the database) with many accounts and boards.

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python -m tools.metrics_cost

It runs on its own throw-away database (``wallboard_metrics_cost``), like ``manage.py bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tools.bench_settings")
django.setup()

import httpx  # noqa: E402 - Django is set up first

from providers.daktela.adapter import DaktelaProvider  # noqa: E402
from providers.sim.engine import ManualClock  # noqa: E402
from tools.bench.harness import (  # noqa: E402
    ReplayTransport,
    add_account,
    mean,
    record_replies,
    running,
    start_bench,
)
from tools.bench.pipeline import churn, quiet_config  # noqa: E402
from tools.database import bench_database  # noqa: E402
from wallboard import metrics  # noqa: E402
from wallboard.dashboards.models import Alert, Board, Level  # noqa: E402
from wallboard.monitoring.hooks import Committed  # noqa: E402
from wallboard.monitoring.models import ProviderAccount, Queue  # noqa: E402
from wallboard.monitoring.poll import poll_once  # noqa: E402
from wallboard.wiring import pipeline  # noqa: E402
from wallboard.wiring.scrape import exposition  # noqa: E402

EVENTS = (
    Committed(account_pk=1, vendor="daktela", seq=1, ok=True, duration_ms=12.0),
    Committed(account_pk=2, vendor="spikon", seq=1, ok=True, duration_ms=30.0, error="stale"),
    Committed(
        account_pk=3, vendor="voipsun", seq=1, ok=False, duration_ms=5.0, error_kind="NoReplyError"
    ),
)


def step_alone(calls: int) -> float:
    """µs of CPU per call of the metrics step, over a mix of ok, partial and failed polls."""
    for event in EVENTS:
        pipeline._metrics(event)  # the labels' values exist from here on, as after a poll
    started = time.process_time()
    for i in range(calls):
        pipeline._metrics(EVENTS[i % len(EVENTS)])
    return (time.process_time() - started) / calls * 1e6


def _without_metrics(event: Committed) -> None:
    for step in pipeline.STEPS:
        if step is not pipeline._metrics:
            step(event)


def whole_poll(agents: int, polls: int, churn_pct: int) -> dict[str, Any]:
    """CPU ms per poll with and without the metrics step."""
    rng = random.Random(agents + churn_pct)
    cpu: dict[str, list[float]] = {"with": [], "without": []}
    with running(start_bench(f"metrics {agents}", quiet_config(agents))) as bench:
        assert isinstance(bench.clock, ManualClock)
        other = add_account(bench.server, bench.engine, f"metrics {agents} without")
        ways = {}
        for name, account, hook in (
            ("with", bench.account, pipeline.after_commit),
            ("without", other, _without_metrics),
        ):
            transport = ReplayTransport({})
            client = httpx.Client(transport=transport)
            provider = DaktelaProvider(account.config(), client=client, clock=bench.clock.now)
            poll_once(account, on_commit=hook, provider=bench.provider())
            ways[name] = (account, hook, provider, transport)
        for i in range(polls + 2):
            churn(bench, rng, round(agents * churn_pct / 100))
            bench.clock.advance(2)
            replies = record_replies(bench)
            order = ["with", "without"] if i % 2 else ["without", "with"]
            for name in order:
                account, hook, provider, transport = ways[name]
                transport.replies = replies
                started = time.process_time()
                poll_once(account, on_commit=hook, provider=provider)
                if i >= 2:  # warm-up
                    cpu[name].append((time.process_time() - started) * 1000)
    with_ms, without_ms = mean(cpu["with"]) or 0.0, mean(cpu["without"]) or 0.0
    return {
        "agents": agents,
        "churn_pct": churn_pct,
        "polls": polls,
        "cpu_ms_with": round(with_ms, 3),
        "cpu_ms_without": round(without_ms, 3),
        "difference_us": round((with_ms - without_ms) * 1000, 1),
    }


def scrape(accounts: int, boards: int, queues: int) -> dict[str, Any]:
    """ms of one scrape with ``accounts`` accounts of ``queues`` queues each, every board
    showing every account, every queue on every board at warning: the worst case (OK
    levels are not exported)."""
    created = ProviderAccount.objects.bulk_create(
        ProviderAccount(name=f"scrape {n}", vendor="daktela", base_url="http://127.0.0.1:9")
        for n in range(accounts)
    )
    rows = Queue.objects.bulk_create(
        Queue(account=account, vendor_id=str(q), name=f"queue {q}")
        for account in created
        for q in range(queues)
    )
    made = Board.objects.bulk_create(Board(name=f"board {b}") for b in range(boards))
    Alert.objects.bulk_create(
        Alert(board=board, account=queue.account, queue=queue, level=Level.WARN)
        for board in made
        for queue in rows
    )
    Alert.objects.bulk_create(
        Alert(board=board, account=account) for board in made for account in created
    )
    exposition("")  # warm-up
    cpu, wall = time.process_time(), time.perf_counter()
    body, _ = exposition("")
    cpu_ms, wall_ms = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
    return {
        "accounts": accounts,
        "alert_levels_not_ok": Alert.objects.exclude(level=Level.OK).count(),
        "cpu_ms": round(cpu_ms, 1),
        "wall_ms": round(wall_ms, 1),
        "bytes": len(body),
    }


def _step_in_multiprocess_mode(calls: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder}
        done = subprocess.run(  # noqa: S603 - this interpreter, this module
            [sys.executable, "-m", "tools.metrics_cost", "--step-only", "--calls", str(calls)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(json.loads(done.stdout)["step_us"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--polls", type=int, default=100)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--step-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step_only:
        sys.stdout.write(json.dumps({"step_us": step_alone(args.calls)}))
        return
    report: dict[str, Any] = {
        "multiprocess_here": bool(metrics.MULTIPROC_DIR),
        "step_us_single_process": round(step_alone(args.calls), 2),
        "step_us_multiprocess": round(_step_in_multiprocess_mode(args.calls), 2),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    with bench_database("wallboard_metrics_cost"):
        report["whole_poll"] = [whole_poll(args.agents, args.polls, pct) for pct in (0, 5)]
        report["scrape"] = scrape(accounts=100, boards=10, queues=10)
    sys.stdout.write(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
