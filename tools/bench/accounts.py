"""``bench --accounts``: how the cost of polling grows with the number of accounts.

The production shape on this machine: a Celery worker (``--concurrency 4``, as
docker-compose starts it) and Celery beat as separate processes running the product's tasks
(``wallboard.dispatch_polls``, ``wallboard.poll_account``), the Redis broker on a database
number of its own, the run's PostgreSQL database, and the vendor played by the replay server
(``tools.bench.replay``) so the vendor side costs little. Steps of 10, 50, 100 and 200
accounts of 50 agents each, every one polled at a 2 s interval.

Per step, after a warm-up, every ``SAMPLE_S``:

- the data age of every enabled account: now - its stored ``last_success_at`` (the moment
  its last successful poll read the vendor), pooled over accounts and samples for p50/p99;
- successful polls, counted as changes of ``last_success_at`` between samples (a sample
  period shorter than the interval sees each one);

and across the step: CPU of the worker (its pool processes included), of beat, of the replay
server, of the PostgreSQL cluster and of Redis (psutil; a parent's ``children_*`` times hold
its reaped children, so the short-lived backends count), PostgreSQL's ``pg_stat_database``
counters for the run's database and Redis's ``INFO commandstats``. PostgreSQL's CPU is
that of the backends connected to the run's database (the whole server's is beside it);
Redis is the machine's server, so other work on it counts too (the load average is
reported).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from django.db import close_old_connections, connection
from django.utils import timezone

from providers.sim.engine import ManualClock, SimConfig
from providers.simulators import start_simulator
from tools.bench.harness import (
    Bench,
    add_account,
    mean,
    percentile,
    record_replies,
    rounded,
    running,
)
from tools.bench.profiles import AccountsSize
from tools.bench.replay import REPLAY_FILE_ENV, REPLAY_INTERVAL_ENV
from tools.bench.worker_profile import PROFILE_ENV
from tools.database import database_url
from tools.processes import Process, celery_command, free_port
from wallboard.monitoring.models import ProviderAccount

Say = Callable[[str], None]

REDIS_DB = 12
SAMPLE_S = 0.5
AGE_LIMIT_S = 2.3
WORKERS_ENV = "BENCH_ACCOUNTS_WORKERS"
MOMENTS = 15
FIRST_POLL_TIMEOUT_S = 30
REPLAY_APP = "tools.bench.replay:app"
APP = "wallboard"
# The app with every task's CPU profiled, when BENCH_ACCOUNTS_PROFILE names a directory.
PROFILED_APP = "tools.bench.worker_profile"


# -- the vendor: recorded replies ---------------------------------------------------------


def record_call_centre(agents: int, moments: int, step_s: float = 2) -> list[dict[str, str]]:
    """``moments`` snapshots of one busy simulated call centre, ``step_s`` apart (its clock
    is moved by hand, so recording takes no waiting), each as reply body by request path."""
    config = SimConfig(agents=agents, queues=max(1, agents // 10), seed=11,
                       calls_per_min_per_queue=6, pause_rate_per_hour=6)  # fmt: skip
    clock = ManualClock(datetime.now(UTC) - timedelta(seconds=step_s * moments))
    server, engine = start_simulator("daktela", config, clock=clock)
    account = add_account(server, engine, "replay recording")
    recorded: list[dict[str, str]] = []
    try:
        with running(Bench(server, engine, engine.clock, account)) as bench:
            for _ in range(moments):
                clock.advance(step_s)
                replies = record_replies(bench)
                recorded.append({path: body.decode() for path, body in replies.items()})
    finally:
        account.delete()
    return recorded


@dataclass(frozen=True)
class ReplayServer:
    url: str
    process: Process

    def account_url(self, n: int) -> str:
        return f"{self.url}/a{n}"


@contextmanager
def replay_server(
    recorded: list[dict[str, str]], directory: Path, interval_s: float
) -> Iterator[ReplayServer]:
    """Serve ``recorded`` from a uvicorn process of its own until the block ends."""
    path = directory / "replies.json"
    path.write_text(json.dumps(recorded))
    port = free_port()
    env = {**os.environ, REPLAY_FILE_ENV: str(path), REPLAY_INTERVAL_ENV: str(interval_s)}
    argv = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--lifespan", "off",
            "--no-access-log", "--log-level", "warning", REPLAY_APP]  # fmt: skip
    process = Process("replay", argv, env, directory / "replay.log").start()
    try:
        process.wait_for_port(port)
        yield ReplayServer(f"http://127.0.0.1:{port}", process)
    finally:
        process.stop(5)


# -- CPU and server counters ----------------------------------------------------------------


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process, its live descendants and the children they reaped."""
    import psutil  # a development dependency: the command checks for it first

    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in family:
        try:
            t = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def backends_cpu_s() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to this database but ours (the
    product keeps connections for a minute, so a step sees the same backends throughout)."""
    import psutil

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [int(row[0]) for row in cursor.fetchall()]
    cpu: dict[int, float] = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        cpu[pid] = t.user + t.system
    return cpu


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process on this machine (None if not found)."""
    import psutil

    for proc in psutil.process_iter(["name", "ppid"]):
        if proc.info["name"] in ("postgres", "postmaster"):
            try:
                parent = psutil.Process(proc.info["ppid"]).name()
            except psutil.Error:
                parent = ""
            if parent not in ("postgres", "postmaster"):
                return int(proc.pid)
    return None


PG_COUNTERS = ("xact_commit", "xact_rollback", "tup_returned", "tup_fetched",
               "tup_inserted", "tup_updated", "tup_deleted", "blks_read", "blks_hit")  # fmt: skip


def pg_counters() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(PG_COUNTERS)} FROM pg_stat_database "  # noqa: S608 - fixed names
            "WHERE datname = current_database()"
        )
        row = cursor.fetchone()
    return dict(zip(PG_COUNTERS, (int(v or 0) for v in row), strict=True))


def redis_counters(client: redis.Redis) -> dict[str, float]:
    cpu = client.info("cpu")
    stats = client.info("commandstats")
    return {
        "cpu_s": float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]),
        "calls": float(sum(v["calls"] for v in stats.values())),
    }


@dataclass
class Counters:
    at: float
    worker_s: float
    beat_s: float
    replay_s: float
    postgres_s: float
    backends_s: dict[int, float]
    pg: dict[str, int]
    redis: dict[str, float]


@dataclass(frozen=True)
class WorkerShape:
    """The Celery workers of a run: ``processes`` worker processes, each a ``pool`` of
    ``concurrency``; ``partitioned``: polls partitioned over them (``POLL_PARTITIONS`` =
    ``processes``, worker k consuming ``celery,poll.<k>``), else all on the default queue.

    The production shape (docker-compose.yml) by default; another from
    ``BENCH_ACCOUNTS_WORKERS=pool,concurrency,processes[,shared]`` to compare."""

    pool: str = "prefork"
    concurrency: int = 1
    processes: int = 4
    partitioned: bool = True

    @classmethod
    def from_env(cls) -> WorkerShape:
        text = os.environ.get(WORKERS_ENV)
        if not text:
            return cls()
        pool, concurrency, processes, *rest = text.split(",")
        if pool not in ("prefork", "threads", "solo") or rest not in ([], ["shared"]):
            raise ValueError(f"{WORKERS_ENV}={text!r}: pool,concurrency,processes[,shared]")
        return cls(pool, int(concurrency), int(processes), partitioned=not rest)

    @property
    def partitions(self) -> int:
        return self.processes if self.partitioned else 0

    def queues(self, k: int) -> str:
        return f"celery,poll.{k}" if self.partitioned else "celery"

    def command(self, k: int, hostname: str, app: str) -> list[str]:
        return celery_command("worker", "--pool", self.pool, "--concurrency",
                              str(self.concurrency), "--queues", self.queues(k),
                              "--hostname", hostname, loglevel="WARNING", app=app)  # fmt: skip

    def describe(self) -> str:
        queues = f"{self.processes} partitions" if self.partitioned else "one shared queue"
        return f"{self.processes} x --pool {self.pool} --concurrency {self.concurrency}, {queues}"


@dataclass
class Stack:
    workers: list[Process]
    beat: Process
    replay: ReplayServer
    redis: redis.Redis
    postmaster: int | None

    def counters(self) -> Counters:
        return Counters(
            at=time.monotonic(),
            worker_s=sum(tree_cpu_s(worker.pid) for worker in self.workers),
            beat_s=tree_cpu_s(self.beat.pid),
            replay_s=tree_cpu_s(self.replay.process.pid),
            postgres_s=tree_cpu_s(self.postmaster) if self.postmaster else 0.0,
            backends_s=backends_cpu_s(),
            pg=pg_counters(),
            redis=redis_counters(self.redis),
        )

    @property
    def processes(self) -> list[Process]:
        return [*self.workers, self.beat]


# -- the run --------------------------------------------------------------------------------


def _environment(redis_url: str, prefix: str, partitions: int) -> dict[str, str]:
    """The product's settings on the run's database, broker database and channel prefix."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wallboard.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": prefix,
        "POLL_PARTITIONS": str(partitions),
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def celery_stack(directory: Path, replay: ReplayServer, shape: WorkerShape) -> Iterator[Stack]:
    prefix = f"wallboard-bench-accounts-{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    env = _environment(redis_url, prefix, shape.partitions)
    client = redis.Redis.from_url(redis_url)
    app = PROFILED_APP if os.environ.get(PROFILE_ENV) else APP
    workers = [
        Process(f"worker-{k}", shape.command(k, f"{prefix}-{k}@%h", app), env, directory / f"w{k}")
        for k in range(shape.processes)
    ]
    beat = Process(
        "beat",
        celery_command("beat", "--schedule", str(directory / "beat-schedule"), loglevel="WARNING"),
        env,
        directory / "beat.log",
    )
    try:
        for worker in workers:
            worker.start()
        beat.start()
        yield Stack(workers, beat, replay, client, postmaster_pid())
    finally:
        beat.stop(10)
        for worker in workers:
            worker.stop(20)
        # What the run left in its broker database: its queues and beat's keys, by prefix.
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()


def create_accounts(replay: ReplayServer, count: int, interval_s: int) -> list[int]:
    ProviderAccount.objects.update(enabled=False)
    accounts = ProviderAccount.objects.bulk_create(
        ProviderAccount(
            name=f"bench account {n}",
            vendor="daktela",
            base_url=replay.account_url(n),
            # The replay server answers any access token.
            options={"login": "bench"},
            secrets={"password": "bench"},
            poll_interval_s=interval_s,
            enabled=False,
        )
        for n in range(1, count + 1)
    )
    return [a.pk for a in accounts]


@dataclass
class Samples:
    ages_s: list[float]
    polls: int
    failed: int


def sample(pks: list[int], seconds: float, enabled_at: float) -> Samples:
    """Data ages and polls of the accounts ``pks`` over ``seconds`` (an account never
    polled yet is as old as the time since it was enabled, ``time.monotonic`` then)."""
    ages: list[float] = []
    last: dict[int, tuple[Any, Any]] = {}
    polls = failed = 0
    deadline = time.monotonic() + seconds
    while True:
        now = timezone.now()
        rows = ProviderAccount.objects.filter(pk__in=pks).values_list(
            "pk", "last_success_at", "last_attempt_at"
        )
        for pk, success, attempt in rows:
            never = time.monotonic() - enabled_at
            ages.append((now - success).total_seconds() if success else never)
            before = last.get(pk)
            if before is not None:
                polls += success != before[0]
                failed += attempt != before[1] and success == before[0]
            last[pk] = (success, attempt)
        if time.monotonic() >= deadline:
            return Samples(ages, polls, failed)
        time.sleep(SAMPLE_S)


def _per_s(delta: float, seconds: float) -> float:
    return round(delta / seconds, 1)


def wait_polled(stack: Stack, pks: list[int], timeout_s: float = FIRST_POLL_TIMEOUT_S) -> bool:
    """Until each of ``pks`` has been polled once (the first poll of an account stores all
    its agents and builds its adapter in each pool process: start-up, not the steady cost);
    False if the machine did not get there in time (saturated: the step is measured as is)."""
    deadline = time.monotonic() + timeout_s
    while ProviderAccount.objects.filter(pk__in=pks, last_success_at__isnull=True).exists():
        for proc in stack.processes:
            if not proc.running:
                raise RuntimeError(f"Celery's {proc.name} exited: {proc.log_tail()}")
        if time.monotonic() > deadline:
            return False
        time.sleep(SAMPLE_S)
    return True


def step(stack: Stack, pks: list[int], size: AccountsSize) -> dict[str, Any]:
    ProviderAccount.objects.filter(pk__in=pks).update(enabled=True, next_poll_at=timezone.now())
    enabled_at = time.monotonic()
    all_polled = wait_polled(stack, pks)
    time.sleep(size.warmup_s)
    before = stack.counters()
    samples = sample(pks, size.measure_s, enabled_at)
    after = stack.counters()
    elapsed = after.at - before.at
    polls = max(samples.polls, 1)
    pg = {k: after.pg[k] - before.pg[k] for k in PG_COUNTERS}
    backends_s = sum(t - before.backends_s.get(pid, 0.0) for pid, t in after.backends_s.items())
    return {
        "accounts": len(pks),
        "all_polled_before_measuring": all_polled,
        "agents_per_account": size.agents,
        "interval_s": size.interval_s,
        "measured_s": round(elapsed, 1),
        "intended_polls_per_s": round(len(pks) / size.interval_s, 1),
        "polls_per_s": _per_s(samples.polls, elapsed),
        "polls": samples.polls,
        "failed_polls": samples.failed,
        "data_age_p50_ms": rounded(_ms(percentile(samples.ages_s, 50))),
        "data_age_p99_ms": rounded(_ms(percentile(samples.ages_s, 99))),
        "data_age_max_ms": rounded(_ms(max(samples.ages_s, default=None))),
        "data_age_mean_ms": rounded(_ms(mean(samples.ages_s))),
        "worker_cpu_ms_per_poll": round((after.worker_s - before.worker_s) * 1000 / polls, 2),
        "worker_cores": round((after.worker_s - before.worker_s) / elapsed, 2),
        "beat_cores": round((after.beat_s - before.beat_s) / elapsed, 3),
        "replay_cores": round((after.replay_s - before.replay_s) / elapsed, 2),
        # Reads 0 where the server's processes are out of this process's sight.
        "postgres_backends_cores": round(backends_s / elapsed, 2),
        # Every database of the server, and its own processes (WAL writer, checkpointer).
        "postgres_cores": round((after.postgres_s - before.postgres_s) / elapsed, 2),
        "postgres_cpu_ms_per_poll": round((after.postgres_s - before.postgres_s) * 1000 / polls, 2),
        "postgres_commits_per_s": _per_s(pg["xact_commit"], elapsed),
        "postgres_rows_written_per_s": _per_s(
            pg["tup_inserted"] + pg["tup_updated"] + pg["tup_deleted"], elapsed
        ),
        "postgres_rows_read_per_s": _per_s(pg["tup_returned"] + pg["tup_fetched"], elapsed),
        "postgres_rows_written_per_poll": round(
            (pg["tup_inserted"] + pg["tup_updated"] + pg["tup_deleted"]) / polls, 1
        ),
        "redis_cores": round((after.redis["cpu_s"] - before.redis["cpu_s"]) / elapsed, 3),
        "redis_commands_per_s": _per_s(after.redis["calls"] - before.redis["calls"], elapsed),
        "redis_commands_per_poll": round((after.redis["calls"] - before.redis["calls"]) / polls, 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def measure_accounts(size: AccountsSize, say: Say = lambda _: None) -> dict[str, Any]:
    """Every step in turn on one worker, beat and replay server; returns the steps."""
    shape = WorkerShape.from_env()
    recorded = record_call_centre(size.agents, MOMENTS, size.interval_s)
    steps: list[dict[str, Any]] = []
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-acc-")))
        replay = stack.enter_context(replay_server(recorded, directory, size.interval_s))
        pks = create_accounts(replay, max(size.steps), size.interval_s)
        celery = stack.enter_context(celery_stack(directory, replay, shape))
        for count in size.steps:
            say(f"  accounts: {count} x {size.agents} agents every {size.interval_s} s")
            row = step(celery, pks[:count], size)
            steps.append(row)
            say(
                f"    {row['polls_per_s']} polls/s (of {row['intended_polls_per_s']}), data age "
                f"p99 {row['data_age_p99_ms']} ms, worker {row['worker_cpu_ms_per_poll']} ms "
                f"CPU/poll, load {row['load_avg'][0]}"
            )
            close_old_connections()
            if row["polls_per_s"] < row["intended_polls_per_s"] / 2:
                say("    saturated: the larger steps are skipped")
                break
        for proc in celery.processes:
            if not proc.running:
                raise RuntimeError(f"{proc.name} exited: {proc.log_tail()}")
        ProviderAccount.objects.filter(pk__in=pks).update(enabled=False)
    return {"steps": steps, "workers": shape.describe(),
            "age_limit_ms": AGE_LIMIT_S * 1000, "cores": os.cpu_count()}  # fmt: skip


def summary(accounts: dict[str, Any]) -> dict[str, Any]:
    """The report's figures: the most polls sustained, the most accounts holding data age
    p99 ≤ 2.3 s, and the worker's CPU per poll at that step (at the first if none held).

    A count holds only if every smaller step held too: a larger one that held after a
    smaller one failed says the machine was not steady, not that it has room."""
    steps = accounts.get("steps") or []
    if not steps:
        return {}
    held: list[dict[str, Any]] = []
    for step in sorted(steps, key=lambda s: s["accounts"]):
        if (step["data_age_p99_ms"] or 1e9) > accounts["age_limit_ms"]:
            break
        held.append(step)
    at = held[-1] if held else steps[0]
    return {
        "accounts_sustained_polls_per_s": max(s["polls_per_s"] for s in steps),
        "accounts_max_at_2300ms": max((s["accounts"] for s in held), default=0),
        "accounts_cpu_ms_per_poll_50_agents": at["worker_cpu_ms_per_poll"],
        "accounts_postgres_cpu_ms_per_poll": at["postgres_cpu_ms_per_poll"],
    }
