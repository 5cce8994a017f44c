"""Run every benchmark of a profile on the current database and channel layer, and return
the report (``manage.py bench`` wraps this in a throw-away database)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections

from providers.model import AgentStatus
from providers.sim.engine import SimConfig
from tools.bench import report
from tools.bench.accounts import measure_accounts
from tools.bench.fanout import run_fanout
from tools.bench.feed import measure_click_to_wall, measure_feed_cost
from tools.bench.freshness import measure_freshness
from tools.bench.harness import Bench, Pushes, only_enabled, running, start_bench
from tools.bench.history import measure_history
from tools.bench.pipeline import measure_pipeline
from tools.bench.profiles import PipelineSize, Profile
from tools.processes import Server, ServerKind, serve, viewer_session
from tools.stock_asgi import STOCK_APP
from wallboard.monitoring.poll import poll_once
from wallboard.wiring.pipeline import poll

Say = Callable[[str], None]
log = logging.getLogger("wallboard.bench")


def change_messages(bench: Bench, count: int = 10) -> list[str]:
    """The messages the board's group receives as its agents change one by one: each
    pauses in turn, then each is ready again (real deltas differ from each other)."""
    agents = [a.id for a in bench.engine.truth().agents]
    pushes = Pushes(deliver=False)
    for k in range(count):
        paused = k // len(agents) % 2 == 0
        status, pause = (AgentStatus.PAUSED, "7") if paused else (AgentStatus.IDLE, None)
        bench.engine.set_status(agents[k % len(agents)], status, pause_id=pause)
        poll_once(bench.account, on_commit=pushes)
    return pushes.html()


@dataclass
class FanoutBoard:
    """The board every fan-out measurement watches, and the deltas they all send."""

    bench: Bench
    session_key: str
    messages: list[str]

    def run(
        self, servers: list[Server], counts: tuple[int, ...], deltas: int, **options: Any
    ) -> dict[str, Any]:
        close_old_connections()
        return asyncio.run(
            run_fanout(
                servers, self.session_key, self.bench, self.messages, counts, deltas, **options
            )
        )


@contextmanager
def fanout_board(session_key: str) -> Iterator[FanoutBoard]:
    config = SimConfig(agents=10, queues=2, seed=5)
    with running(start_bench("fan-out", config, manual_clock=False)) as bench:
        only_enabled(bench.account)
        poll(bench.account)
        yield FanoutBoard(bench, session_key, change_messages(bench))


Phase = Callable[[str, Callable[[], None]], None]


def _fanout_phases(
    phase: Phase,
    results: dict[str, Any],
    profile: Profile,
    board: FanoutBoard,
    web: Server,
    server: ServerKind,
) -> None:
    """Ours on one process (and the requests with viewers), ours on two processes behind
    the Redis layer, then stock Channels on Daphne: the same board and deltas (ADR 018)."""

    def one_process() -> None:
        results.update(
            board.run(
                [web],
                profile.fanout_clients,
                profile.fanout_deltas,
                requests_window_s=profile.requests_window_s,
                requests_at=profile.requests_viewers,
            )
        )

    def two_processes() -> None:
        with serve(kind=server, env=CROWD_ENV) as second:
            out = board.run(
                [web, second], (profile.fanout_two_process_clients,), profile.fanout_deltas
            )
        results["fanout_processes"] = {2: out["fanout"]}

    def stock() -> None:
        with serve(kind="daphne", app=STOCK_APP) as daphne:
            # Stock Channels negotiates no compression and sends no full state on connect.
            out = board.run([daphne], profile.stock_clients, profile.fanout_deltas, greeting=False)
        results["fanout_stock"] = out["fanout"]

    phase(
        f"fan-out: {profile.fanout_clients} clients; requests with {profile.requests_viewers}",
        one_process,
    )
    phase(f"fan-out: {profile.fanout_two_process_clients} clients on 2 processes", two_processes)
    phase(f"fan-out, stock Channels on Daphne: {profile.stock_clients} clients", stock)


#: What ``only`` may name (``manage.py bench --only``).
# The crowd is thousands of screens of one viewer session; the per-person socket caps
# (ADR 016) would close all but the first twenty.
CROWD_ENV = {"WS_MAX_SOCKETS_PER_SESSION": "100000", "WS_MAX_SOCKETS_PER_TV_LINK": "100000"}
PARTS = ("pipeline", "freshness", "feed", "click", "fanout", "history", "accounts")


def run(
    profile: Profile,
    say: Say = lambda _: None,
    server: ServerKind = "uvicorn",
    only: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Every benchmark in turn; one that fails is reported under ``errors`` and the others
    still run. ``server``: the production server, or Daphne to compare (ADR 012); ``only``:
    these of ``PARTS`` alone."""

    def wanted(part: str) -> bool:
        return only is None or part in only

    started = time.monotonic()
    results: dict[str, Any] = {
        "profile": profile.name,
        "server": server,
        "pipeline": {},
        "errors": {},
        # Other work on the machine skews every figure: say how busy and how fast it was.
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "python_gauge_ms_start": report.python_gauge_ms(),
    }

    def phase(name: str, measure: Callable[[], None]) -> None:
        say(f"[{time.monotonic() - started:6.1f} s] {name}")
        try:
            measure()
        except Exception as err:  # a broken phase must not hide the others' figures
            log.exception("benchmark %s failed", name)
            results["errors"][name] = f"{type(err).__name__}: {err}"
        finally:
            close_old_connections()

    for size in profile.pipeline if wanted("pipeline") else ():

        def pipeline(size: PipelineSize = size) -> None:
            results["pipeline"][size.agents] = measure_pipeline(
                size.agents, size.churn_pcts, size.polls, size.naive_polls
            )

        phase(f"pipeline: {size.agents} agents, churn {size.churn_pcts} %", pipeline)
    if wanted("feed"):

        def feed_cost() -> None:
            results["feed_cost"] = measure_feed_cost(profile.feed_changes)

        phase(f"feed: CPU of {profile.feed_changes} fed agent changes", feed_cost)
    session_key = viewer_session()
    with serve(kind=server, env=CROWD_ENV) as web:

        def freshness() -> None:
            results["freshness"] = measure_freshness(
                web, session_key, profile.freshness_s, profile.freshness_agents
            )

        def freshness_feed() -> None:
            results["freshness_feed"] = measure_freshness(
                web, session_key, profile.feed_freshness_s, profile.freshness_agents, feed=True
            )

        def click() -> None:
            results["click_to_wall"] = measure_click_to_wall(web, session_key, profile.click_rounds)
            if profile.click_rounds_without_feed:
                results["click_to_wall_without_feed"] = measure_click_to_wall(
                    web, session_key, profile.click_rounds_without_feed, feed=False
                )
            for vendor in report.CLICK_VENDORS[1:] if profile.click_rounds_other_vendors else ():
                results[f"click_to_wall_{vendor}"] = measure_click_to_wall(
                    web, session_key, profile.click_rounds_other_vendors, vendor=vendor
                )

        if wanted("freshness"):
            phase(f"freshness: headless Chromium, {profile.freshness_s:.0f} s", freshness)
        if wanted("feed"):
            phase(f"freshness with the feed: {profile.feed_freshness_s:.0f} s", freshness_feed)
        if wanted("click"):
            phase(f"click to wall: {profile.click_rounds} rounds in Chromium", click)
        if wanted("fanout"):
            with fanout_board(session_key) as board:
                _fanout_phases(phase, results, profile, board, web, server)

    def history() -> None:
        results["history"] = measure_history(
            profile.history_agents, profile.history_minutes, profile.history_warmup_minutes
        )

    if wanted("history"):
        phase(f"history: {profile.history_agents} agents, simulated day", history)
    if wanted("accounts"):
        _accounts_phase(phase, results, profile, say)
    return _finish(results, started, say)


def _accounts_phase(phase: Phase, results: dict[str, Any], profile: Profile, say: Say) -> None:
    size = profile.accounts
    if size is None:
        return

    def accounts() -> None:
        results["accounts"] = measure_accounts(size, say)

    phase(f"accounts: {size.steps} x {size.agents} agents, Celery worker and beat", accounts)


def run_accounts(profile: Profile, say: Say = lambda _: None) -> dict[str, Any]:
    """``bench --accounts``: only the accounts-at-scale steps."""
    started = time.monotonic()
    results: dict[str, Any] = {
        "profile": f"{profile.name}, accounts only",
        "errors": {},
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "python_gauge_ms_start": report.python_gauge_ms(),
    }

    def phase(name: str, measure: Callable[[], None]) -> None:
        say(f"[{time.monotonic() - started:6.1f} s] {name}")
        measure()

    _accounts_phase(phase, results, profile, say)
    return _finish(results, started, say)


def _finish(results: dict[str, Any], started: float, say: Say) -> dict[str, Any]:
    results["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["python_gauge_ms_end"] = report.python_gauge_ms()
    results["run_s"] = round(time.monotonic() - started, 1)
    say(f"[{results['run_s']:6.1f} s] done")
    return report.build(results)
