"""The soak: the production shape left running for a long time, sampled, and judged.

Separate processes as production runs them: one ``manage.py simulate`` per vendor (a busy
call center split between Daktela, SPIKON and VoIPSUN), the web server the bench starts, a
Celery worker and Celery beat, all on a throw-away PostgreSQL database, a Redis database
number of its own (the Celery queue and its keys) and a channel prefix of its own (Redis
pub/sub is not scoped by database number). This process holds the WebSocket clients: wall
TVs on TV links that keep reading and follow ``static/live.js`` (a sequence gap or a
"resync" marker closes the socket and reconnects for the full state).

Every ``sample_s`` it records each process's RSS, open files and TCP sockets (with its
children), the database's PostgreSQL connections, the Redis keys, connections and pub/sub
channels of the run, messages received and polls. A figure is judged on the second half of
the run (after warm-up): the least-squares line through its samples there, as a slope and
as the rise it predicts across that half.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Sum
from django.utils import timezone

from providers.registry import split_settings
from providers.sim.engine import CallCenter, SimConfig
from providers.simulators import SIMULATORS
from tools.bench.report import machine
from tools.database import bench_database, database_url
from tools.processes import Process, celery_command, free_port, manage_command, serve
from tools.wsclient import HandshakeError, WebSocketClient
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import PollLog, ProviderAccount

Say = Callable[[str], None]
Point = tuple[float, float]

PRODUCT = "wallboard.settings"
SOAK_DATABASE = "wallboard_soak"
SOAK_REDIS_DB = 14
# How the agents are split between the vendors' simulators (each vendor gets at least one).
VENDOR_SHARES = (("daktela", 0.4), ("spikon", 0.3), ("voipsun", 0.3))
AGENTS_PER_QUEUE = 10
WORKER_CONCURRENCY = 4  # as docker-compose.yml starts the worker
FIRST_POLL_TIMEOUT_S = 120
CONNECT_CONCURRENCY = 10
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# The verdicts. A figure "grows" when the line fitted through its second-half samples rises
# by more than the limit across that half; RSS must also climb faster than the slope limit,
# so a short run is not judged on a few MB of allocator noise.
RSS_SLOPE_LIMIT_MB_PER_H = 20.0
RSS_RISE_FLOOR_MB = 4.0
FDS_RISE_LIMIT = 5.0
PG_CONNECTIONS_RISE_LIMIT = 3.0
REDIS_KEYS_RISE_LIMIT = 5.0
REDIS_CONNECTIONS_RISE_LIMIT = 3.0
PUBSUB_CHANNELS_RISE_LIMIT = 3.0

MARKER = re.compile(r'<div id="seq-(\d+)" class="seq"[^>]*? data-seq="(\d+)"([^>]*)>')


@dataclass(frozen=True)
class SoakConfig:
    minutes: float = 30
    agents: int = 500
    clients: int = 200
    sample_s: float = 10
    concurrency: int = WORKER_CONCURRENCY

    def vendors(self) -> dict[str, int]:
        """Agents per vendor simulator, adding up to ``agents``."""
        split = {v: max(1, round(self.agents * share)) for v, share in VENDOR_SHARES}
        first = VENDOR_SHARES[0][0]
        split[first] = max(1, split[first] + self.agents - sum(split.values()))
        return split


def redis_url(base: str | None, db: int) -> str:
    """``base`` (or the local server) with the database number replaced by ``db``."""
    parts = urlsplit(base or "redis://127.0.0.1:6379")
    return urlunsplit(parts._replace(path=f"/{db}", query=""))


def environment(base: dict[str, str], redis_db: int, run_id: str) -> dict[str, str]:
    """What every process of one run gets: the tool's settings (the product's, which the
    processes it starts get), the local services unless configured otherwise, this run's
    Redis database and channel prefix, and the same keys (TV links are signed and
    credentials encrypted in this process, read in the others)."""
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "tools.settings",
        "DATABASE_URL": base.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres",
        "REDIS_URL": redis_url(base.get("REDIS_URL"), redis_db),
        "CHANNEL_PREFIX": f"wallboard-soak-{run_id}",
        "LOG_LEVEL": "WARNING",
    }
    env.setdefault("SECRET_KEY", "soak-only-not-secret")
    env.setdefault("FIELD_ENCRYPTION_KEY", "c29hay1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5ISE=")
    return env


# -- processes ------------------------------------------------------------------------------


def _spawn(run: Run, role: str, argv: Sequence[str]) -> Process:
    """Start ``argv`` on the run's database (this process points at it by now), with the
    product's own settings."""
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": PRODUCT}
    child = Process(role, argv, env, run.log_dir / f"{role}.log").start()
    run.children[role], run.logs[role] = child.pid, child
    return child


def process_figures(pid: int, *, descendants: bool = True) -> dict[str, float] | None:
    """RSS (MB), open files and TCP sockets of a process (and its descendants, summed)."""
    import psutil  # a development dependency: the command checks for it first

    try:
        root = psutil.Process(pid)
        family = [root, *(root.children(recursive=True) if descendants else ())]
    except psutil.NoSuchProcess:
        return None
    rss = fds = tcp = 0
    count = 0
    for proc in family:
        try:
            with proc.oneshot():
                rss += proc.memory_info().rss
                fds += proc.num_fds()
                tcp += len(proc.net_connections(kind="tcp"))
            count += 1
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    if not count:  # exited (a zombie until this process reaps it at the end)
        return None
    return {"rss_mb": round(rss / 2**20, 1), "fds": fds, "tcp": tcp, "processes": count}


# -- the TV clients -------------------------------------------------------------------------


@dataclass
class TvClient:
    """One wall TV: reads for ever, reconnects as ``live.js`` does, and counts."""

    host: str
    port: int
    path: str
    messages: int = 0
    bytes: int = 0
    stale: int = 0  # older than what the TV holds: dropped, as live.js drops it
    resyncs_gap: int = 0
    resyncs_marker: int = 0
    closed_by_server: int = 0
    refused: int = 0
    connects: int = 0
    connected: bool = False
    last_seq: dict[int, int] = field(default_factory=dict)

    async def run(self) -> None:
        headers = {"Origin": f"http://{self.host}:{self.port}"}
        while True:
            try:
                client = await WebSocketClient.connect(self.host, self.port, self.path, headers)
            except (HandshakeError, OSError, asyncio.IncompleteReadError):
                self.refused += 1
                await asyncio.sleep(random.uniform(0.5, 2))
                continue
            self.connects += 1
            self.connected = True
            self.last_seq = {}
            try:
                await self._read(client)
            finally:
                self.connected = False
                await client.close()
            await asyncio.sleep(random.uniform(0, 0.5))  # live.js's jitter

    async def _read(self, client: WebSocketClient) -> None:
        while True:
            text = await client.recv()
            if text is None:
                self.closed_by_server += 1
                return
            self.messages += 1
            self.bytes += len(text.encode())
            if self.resync_needed(text):
                return

    def resync_needed(self, text: str) -> bool:
        found = [(int(a), int(s), rest) for a, s, rest in MARKER.findall(text)]
        for account, seq, rest in found:
            last = self.last_seq.get(account)
            if "data-full" in rest or last is None:
                continue
            if seq <= last:
                self.stale += 1
                return False
            if seq > last + 1 or "data-resync" in rest:
                if "data-resync" in rest:
                    self.resyncs_marker += 1
                else:
                    self.resyncs_gap += 1
                return True
        self.last_seq.update((account, seq) for account, seq, _ in found)
        return False


class Crowd:
    """The TV clients on an event loop of their own thread."""

    def __init__(self, clients: list[TvClient]) -> None:
        self.clients = clients
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="soak-clients", daemon=True)
        self.tasks: list[asyncio.Task[None]] = []
        self._stopping: asyncio.Event | None = None

    def _main(self) -> None:
        self.loop.run_until_complete(self._run())
        self.loop.close()

    async def _run(self) -> None:
        self._stopping = asyncio.Event()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def start(client: TvClient) -> None:
            async with gate:
                self.tasks.append(asyncio.create_task(client.run()))
                while not client.connects and not client.refused:
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(start(c) for c in self.clients))
        await self._stopping.wait()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def start(self, timeout_s: float) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while sum(c.connected for c in self.clients) < len(self.clients):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"only {sum(c.connected for c in self.clients)} of {len(self.clients)} "
                    f"TV clients connected within {timeout_s:.0f} s"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.thread.is_alive():
            while self._stopping is None:
                time.sleep(0.01)
            self.loop.call_soon_threadsafe(self._stopping.set)
            self.thread.join(timeout=30)

    def totals(self) -> dict[str, int]:
        keys = ("messages", "bytes", "stale", "resyncs_gap", "resyncs_marker",
                "closed_by_server", "refused", "connects")  # fmt: skip
        out = {k: sum(getattr(c, k) for c in self.clients) for k in keys}
        out["connected"] = sum(c.connected for c in self.clients)
        return out


# -- sampling -------------------------------------------------------------------------------


def _postgres_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def _redis_figures(client: redis.Redis, db: int, prefix: str) -> dict[str, int]:
    own = client.client_id()
    clients = [c for c in client.client_list() if int(c["db"]) == db and int(c["id"]) != own]
    return {
        "redis_keys": int(client.dbsize()),
        "redis_prefix_keys": sum(1 for _ in client.scan_iter(match=f"{prefix}*", count=1000)),
        "redis_connections": len(clients),
        "pubsub_channels": len(client.pubsub_channels(f"{prefix}*")),
    }


def _poll_figures(since: Any) -> dict[str, int]:
    logs = PollLog.objects.filter(started_at__gte=since)
    return {
        "poll_log_rows": logs.count(),
        "poll_errors": logs.filter(ok=False).count(),
        "published": int(ProviderAccount.objects.aggregate(n=Sum("seq"))["n"] or 0),
    }


def _published_by_account() -> dict[int, int]:
    return dict(ProviderAccount.objects.values_list("pk", "seq"))


# -- statistics and verdicts ----------------------------------------------------------------


def fitted_slope(points: Sequence[Point]) -> float | None:
    """Least-squares slope (per second) through (t, value) points."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var


def series_stats(points: Sequence[Point], half_at: float) -> dict[str, Any]:
    """Start, end, max; and the line through the second half as a slope per hour and the
    rise it predicts across that half."""
    if not points:
        return {"start": None, "end": None, "max": None, "slope_per_h": None, "rise": None}
    second = [(t, v) for t, v in points if t >= half_at]
    slope = fitted_slope(second)
    span = (second[-1][0] - second[0][0]) if second else 0
    return {
        "start": points[0][1],
        "end": points[-1][1],
        "max": max(v for _, v in points),
        "slope_per_h": None if slope is None else round(slope * 3600, 2),
        "rise": None if slope is None else round(slope * span, 2),
    }


def _check(
    what: str,
    target: str,
    measured: str,
    met: bool | None,
    words: tuple[str, str] = ("ok", "failed"),
) -> dict[str, Any]:
    verdict = "not measured" if met is None else words[0] if met else words[1]
    return {"what": what, "target": target, "measured": measured, "met": met, "verdict": verdict}


STABILITY = ("stable", "growing")


def _rise_check(what: str, stats: dict[str, Any], limit: float) -> dict[str, Any]:
    rise = stats["rise"]
    return _check(
        what,
        f"rise ≤ {limit:g} over the second half",
        f"{stats['start']} → {stats['end']} (max {stats['max']}), fitted rise {rise}",
        None if rise is None else rise <= limit,
        STABILITY,
    )


def rss_check(role: str, stats: dict[str, Any]) -> dict[str, Any]:
    slope, rise = stats["slope_per_h"], stats["rise"]
    return _check(
        f"{role} RSS",
        f"≤ {RSS_SLOPE_LIMIT_MB_PER_H:g} MB/h after warm-up (or a fitted rise < "
        f"{RSS_RISE_FLOOR_MB:g} MB)",
        f"{stats['start']} → {stats['end']} MB (max {stats['max']}), {slope} MB/h, "
        f"fitted rise {rise} MB",
        None
        if slope is None
        else not (slope > RSS_SLOPE_LIMIT_MB_PER_H and rise > RSS_RISE_FLOOR_MB),
        STABILITY,
    )


RESOURCE_LIMITS = {
    "postgres_connections": (
        "PostgreSQL connections to the soak database",
        PG_CONNECTIONS_RISE_LIMIT,
    ),
    "redis_keys": ("Redis keys in the run's database", REDIS_KEYS_RISE_LIMIT),
    "redis_connections": ("Redis connections to the run's database", REDIS_CONNECTIONS_RISE_LIMIT),
    "pubsub_channels": (
        "Redis pub/sub channels under the run's prefix",
        PUBSUB_CHANNELS_RISE_LIMIT,
    ),
}


def verdicts(rep: dict[str, Any]) -> list[dict[str, Any]]:
    """Every check of a report: resources that must not grow, and the run staying alive."""
    dead = [role for role, row in rep["processes"].items() if not row["alive"]]
    checks = [
        _check(
            "every process still running",
            "all",
            f"{', '.join(dead)} exited" if dead else "all running",
            not dead,
        )
    ]
    for role, row in rep["processes"].items():
        if role != "clients":  # this process (the TVs and the sampler), not the product
            checks.append(rss_check(role, row["rss_mb"]))
            checks.append(_rise_check(f"{role} open files", row["fds"], FDS_RISE_LIMIT))
    for key, (what, limit) in RESOURCE_LIMITS.items():
        checks.append(_rise_check(what, rep["resources"][key], limit))
    traffic, clients, accounts = rep["traffic"], rep["soak"]["clients"], len(rep["soak"]["vendors"])
    receiving, publishing = (
        traffic["clients_receiving_second_half"],
        traffic["accounts_publishing_second_half"],
    )
    return [
        *checks,
        _check("TV sockets closed by the server or refused", "none",
               f"{traffic['closed_by_server']} closed, {traffic['refused']} refused",
               traffic["closed_by_server"] + traffic["refused"] == 0),
        _check("TV clients receiving in the second half", "every client",
               f"{receiving} of {clients}", receiving == clients),
        _check("accounts publishing in the second half", "every account",
               f"{publishing} of {accounts}", publishing == accounts),
        _check("failed polls", "none", str(traffic["poll_errors"]), traffic["poll_errors"] == 0),
    ]  # fmt: skip


# -- the run --------------------------------------------------------------------------------


@dataclass
class Run:
    config: SoakConfig
    redis_db: int
    prefix: str
    log_dir: Path
    children: dict[str, int] = field(default_factory=dict)  # role → pid
    samples: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[str, Process] = field(default_factory=dict)


def _start_simulators(run: Run, stack: ExitStack) -> list[ProviderAccount]:
    accounts = []
    for seed, (vendor, agents) in enumerate(run.config.vendors().items(), start=1):
        config = SimConfig(agents=agents, queues=max(1, agents // AGENTS_PER_QUEUE), seed=seed)
        port = free_port()
        child = _spawn(
            run,
            f"sim-{vendor}",
            manage_command("simulate", "--provider", vendor, "--port", str(port),
                           "--agents", str(config.agents), "--queues", str(config.queues),
                           "--seed", str(seed)),
        )  # fmt: skip
        stack.callback(child.stop, 20)
        child.wait_for_port(port)
        # The engine is deterministic: one built here from the same config has the same
        # agents, numbers and PINs as the simulator's.
        options, secrets = split_settings(
            vendor, SIMULATORS[vendor].account_settings(CallCenter(config))
        )
        accounts.append(
            ProviderAccount.objects.create(
                name=f"{vendor} soak", vendor=vendor, base_url=f"http://127.0.0.1:{port}",
                options=options, secrets=secrets, time_zone=config.time_zone,
                poll_interval_s=settings.POLL_INTERVAL_S,
            )
        )  # fmt: skip
    return accounts


def _tv_paths(accounts: list[ProviderAccount], clients: int) -> list[str]:
    """One board per account, and one TV link per client, spread over the boards."""
    boards = []
    for account in accounts:
        board = Board.objects.create(name=f"{account.vendor} soak")
        board.accounts.add(account)
        boards.append(board)
    links = [TvLink.objects.create(board=boards[i % len(boards)]) for i in range(clients)]
    return [f"/ws/tv/{link.token}/" for link in links]


def _wait_for_first_polls(run: Run, accounts: list[ProviderAccount]) -> None:
    deadline = time.monotonic() + FIRST_POLL_TIMEOUT_S
    pks = [a.pk for a in accounts]
    while ProviderAccount.objects.filter(pk__in=pks, seq=0).exists():
        for role, child in run.logs.items():
            if not child.running:
                raise RuntimeError(f"{role} exited with {child.returncode}: "
                                   f"{child.log_tail()}")  # fmt: skip
        if time.monotonic() > deadline:
            logs = "".join(f"\n{role}: {c.log_tail()}" for role, c in run.logs.items())
            raise RuntimeError(
                f"no first poll of every account within {FIRST_POLL_TIMEOUT_S} s{logs}"
            )
        time.sleep(0.5)
    close_old_connections()


def _sample(run: Run, crowd: Crowd, red: redis.Redis, t: float, since: Any) -> None:
    row: dict[str, Any] = {"t": round(t, 1), "processes": {}}
    for role, pid in run.children.items():
        row["processes"][role] = process_figures(pid)
    row["processes"]["clients"] = process_figures(os.getpid(), descendants=False)
    row["postgres_connections"] = _postgres_connections()
    row.update(_redis_figures(red, run.redis_db, run.prefix))
    row.update(_poll_figures(since))
    row.update(crowd.totals())
    row["load_avg"] = round(os.getloadavg()[0], 2)
    run.samples.append(row)
    close_old_connections()


def _progress(row: dict[str, Any]) -> str:
    rss = {role: (p or {}).get("rss_mb") for role, p in row["processes"].items()}
    return (f"[{row['t']:6.0f} s] RSS MB {rss}; {row['messages']} messages, "
            f"{row['connected']} connected; PostgreSQL {row['postgres_connections']}, "
            f"Redis keys {row['redis_keys']}")  # fmt: skip


def _points(samples: list[dict[str, Any]], key: str, role: str | None = None) -> list[Point]:
    """(t, value) of one figure: a resource's, or a process role's when ``role`` is given."""
    out = []
    for sample in samples:
        row = sample if role is None else sample["processes"].get(role)
        if row is not None and row.get(key) is not None:
            out.append((sample["t"], row[key]))
    return out


def _summary(run: Run, crowd: Crowd, midpoint: dict[str, Any]) -> dict[str, Any]:
    half_at = run.config.minutes * 60 / 2
    last = run.samples[-1]
    processes = {}
    for role in [*run.children, "clients"]:
        figures = last["processes"].get(role)
        processes[role] = {
            "pid": os.getpid() if role == "clients" else run.children[role],
            "alive": figures is not None,
            "processes": (figures or {}).get("processes"),
            **{
                key: series_stats(_points(run.samples, key, role), half_at)
                for key in ("rss_mb", "fds", "tcp")
            },
        }
        if figures is None and role in run.logs:
            processes[role]["log_tail"] = run.logs[role].log_tail()
    resources = {
        key: series_stats(_points(run.samples, key), half_at)
        for key in ("postgres_connections", "redis_keys", "redis_prefix_keys",
                    "redis_connections", "pubsub_channels")
    }  # fmt: skip
    totals = crowd.totals()
    elapsed = last["t"] or 1
    traffic = {
        **totals,
        "messages_per_s": round(totals["messages"] / elapsed, 1),
        "clients_receiving_second_half": sum(
            c.messages > midpoint["messages"][i] for i, c in enumerate(crowd.clients)
        ),
        "accounts_publishing_second_half": sum(
            seq > midpoint["published"].get(pk, 0) for pk, seq in _published_by_account().items()
        ),
        "poll_log_rows": last["poll_log_rows"],
        "poll_errors": last["poll_errors"],
        "published": last["published"] - run.samples[0]["published"],
    }
    return {"processes": processes, "resources": resources, "traffic": traffic}


def run(
    config: SoakConfig, database: str, redis_db: int, prefix: str, say: Say = lambda _: None
) -> dict[str, Any]:
    """Start everything, sample for ``config.minutes``, stop everything; the report."""
    red = redis.Redis.from_url(redis_url(settings.REDIS_URL, redis_db))
    if keys := red.dbsize():
        raise RuntimeError(
            f"Redis database {redis_db} holds {keys} keys: another run (or something else) "
            "uses it; pick a free one with --redis-db"
        )
    started = time.monotonic()
    load_start = [round(x, 2) for x in os.getloadavg()]
    with ExitStack() as stack:
        stack.callback(red.close)
        stack.callback(red.flushdb)  # the database was empty: everything in it is ours
        stack.enter_context(bench_database(database))
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        soak = Run(config, redis_db, prefix, log_dir)
        say(f"simulators: {config.vendors()}")
        accounts = _start_simulators(soak, stack)
        paths = _tv_paths(accounts, config.clients)
        web = stack.enter_context(serve())
        soak.children["web"] = web.pid
        for role, argv in (
            ("worker", celery_command("worker", "--concurrency", str(config.concurrency),
                                      "--hostname", f"{prefix}@%h", loglevel="WARNING")),
            ("beat", celery_command("beat", "--schedule", str(log_dir / "beat-schedule"),
                                    loglevel="WARNING")),
        ):  # fmt: skip
            stack.callback(_spawn(soak, role, argv).stop, 20)
        say("waiting for the first poll of every account")
        _wait_for_first_polls(soak, accounts)
        crowd = Crowd([TvClient(web.host, web.port, path) for path in paths])
        stack.callback(crowd.stop)
        say(f"connecting {config.clients} TV clients")
        crowd.start(timeout_s=max(60, config.clients))
        machine_info = machine()
        say(f"soaking for {config.minutes:g} min, a sample every {config.sample_s:g} s")
        window_start = time.monotonic()
        since = timezone.now()
        duration = config.minutes * 60
        midpoint: dict[str, Any] | None = None
        last = False
        while True:
            t = time.monotonic() - window_start
            _sample(soak, crowd, red, t, since)
            if midpoint is None and t >= duration / 2:
                midpoint = {
                    "messages": [c.messages for c in crowd.clients],
                    "published": _published_by_account(),
                }
            if last:
                break
            say(_progress(soak.samples[-1]))
            # On a fixed grid, however long a sample took; the last one at the very end.
            next_t = min(duration, len(soak.samples) * config.sample_s)
            last = next_t >= duration
            time.sleep(max(0.0, next_t - (time.monotonic() - window_start)))
        assert midpoint is not None
        summary = _summary(soak, crowd, midpoint)
        say("stopping")
    rep: dict[str, Any] = {
        "soak": {
            "minutes": config.minutes,
            "agents": config.agents,
            "clients": config.clients,
            "sample_s": config.sample_s,
            "vendors": config.vendors(),
            "worker_concurrency": config.concurrency,
            "database": database,
            "redis_db": redis_db,
            "channel_prefix": prefix,
            "samples": len(soak.samples),
            "run_s": round(time.monotonic() - started, 1),
        },
        **summary,
        "thresholds": {
            "rss_slope_mb_per_h": RSS_SLOPE_LIMIT_MB_PER_H,
            "rss_rise_floor_mb": RSS_RISE_FLOOR_MB,
            "fds_rise": FDS_RISE_LIMIT,
            "postgres_connections_rise": PG_CONNECTIONS_RISE_LIMIT,
            "redis_keys_rise": REDIS_KEYS_RISE_LIMIT,
            "redis_connections_rise": REDIS_CONNECTIONS_RISE_LIMIT,
            "pubsub_channels_rise": PUBSUB_CHANNELS_RISE_LIMIT,
        },
        "machine": {
            **machine_info,
            "load_avg_start": load_start,
            "load_avg_end": [round(x, 2) for x in os.getloadavg()],
        },
        "series": soak.samples,
    }
    rep["checks"] = verdicts(rep)
    rep["passed"] = all(c["met"] for c in rep["checks"])
    return rep


# -- output ---------------------------------------------------------------------------------


def _row(name: str, stats: dict[str, Any]) -> str:
    return (f"  {name:34} {stats['start']!s:>8} {stats['end']!s:>8} {stats['max']!s:>8} "
            f"{stats['slope_per_h']!s:>10}")  # fmt: skip


def table(rep: dict[str, Any]) -> str:
    soak, m, traffic = rep["soak"], rep["machine"], rep["traffic"]
    lines = [
        f"wallboard soak: {soak['minutes']:g} min, {soak['agents']} agents "
        f"{soak['vendors']}, {soak['clients']} TV clients, {soak['samples']} samples "
        f"({soak['run_s']} s in all)",
        f"on {m['cpu']}, {m['cores']} cores, PostgreSQL {m['postgresql']}, Redis {m['redis']}; "
        f"load average {m['load_avg_start']} → {m['load_avg_end']}",
        "",
        f"  {'':34} {'start':>8} {'end':>8} {'max':>8} {'per hour':>10}  (slope after warm-up)",
    ]
    for role, row in rep["processes"].items():
        count = f" x{row['processes']}" if (row["processes"] or 0) > 1 else ""
        lines.append(_row(f"{role}{count} RSS MB", row["rss_mb"]))
        lines.append(_row(f"{role} open files", row["fds"]))
        lines.append(_row(f"{role} TCP sockets", row["tcp"]))
    names = {
        "postgres_connections": "PostgreSQL connections",
        "redis_keys": f"Redis keys (db {soak['redis_db']})",
        "redis_prefix_keys": "Redis keys under the channel prefix",
        "redis_connections": f"Redis connections (db {soak['redis_db']})",
        "pubsub_channels": "Redis pub/sub channels",
    }
    for key, name in names.items():
        lines.append(_row(name, rep["resources"][key]))
    lines += [
        "",
        f"messages {traffic['messages']} ({traffic['messages_per_s']}/s, "
        f"{traffic['bytes']} B), stale {traffic['stale']}, resyncs {traffic['resyncs_gap']} "
        f"on a gap + {traffic['resyncs_marker']} asked, closed by server "
        f"{traffic['closed_by_server']}, refused {traffic['refused']}, connected at the end "
        f"{traffic['connected']} of {soak['clients']}",
        f"messages published {traffic['published']} (polls that changed something), failed "
        f"polls {traffic['poll_errors']}, poll log rows {traffic['poll_log_rows']}",
        "",
        "checks (second half = after warm-up)",
    ]
    for check in rep["checks"]:
        mark = check["verdict"] if check["met"] is not False else check["verdict"].upper()
        lines.append(f"  {mark:>12}  {check['what']}: {check['measured']} "
                     f"(target {check['target']})")  # fmt: skip
    lines.append("")
    lines.append("PASSED" if rep["passed"] else "FAILED")
    return "\n".join(lines)


@contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C or SIGTERM ends the run through its clean-up, and only once: Ctrl-C reaches
    this process and also the command that started it, which passes it on, and the second
    signal must not cut the clean-up short."""

    def handler(signum: int, frame: object) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, action in previous.items():
            signal.signal(sig, action)
