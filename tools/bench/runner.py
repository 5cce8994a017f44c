"""Run every benchmark of a profile on the current database and channel layer, and return
the report (``manage.py bench`` wraps this in a throw-away database)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

from providers.model import AgentStatus
from providers.sim.engine import SimConfig
from tools.bench import report
from tools.bench.fanout import run_fanout
from tools.bench.freshness import measure_freshness
from tools.bench.harness import Bench, Pushes, only_enabled, running, start_bench
from tools.bench.history import measure_history
from tools.bench.pipeline import measure_pipeline
from tools.bench.profiles import PipelineSize, Profile
from tools.processes import ServerKind, serve, viewer_session
from wallboard.monitoring.poll import poll_once
from wallboard.wiring.pipeline import poll

Say = Callable[[str], None]
log = logging.getLogger("wallboard.bench")


def one_change_message(bench: Bench) -> str:
    """The message the board's group receives when one agent pauses."""
    agent_id = next(a.id for a in bench.engine.truth().agents if a.status is AgentStatus.IDLE)
    pushes = Pushes(deliver=False)
    bench.engine.set_status(agent_id, AgentStatus.PAUSED, pause_id="7")
    poll_once(bench.account, on_commit=pushes)
    return pushes.html()[-1]


def _fanout(server: Any, session_key: str, profile: Profile) -> dict[str, Any]:
    config = SimConfig(agents=10, queues=2, seed=5)
    with running(start_bench("fan-out", config, manual_clock=False)) as bench:
        only_enabled(bench.account)
        poll(bench.account)
        html = one_change_message(bench)
        close_old_connections()
        return asyncio.run(
            run_fanout(
                server,
                session_key,
                bench,
                html,
                profile.fanout_clients,
                profile.fanout_deltas,
                profile.requests_window_s,
                profile.requests_viewers,
            )
        )


def run(
    profile: Profile, say: Say = lambda _: None, server: ServerKind = "uvicorn"
) -> dict[str, Any]:
    """Every benchmark in turn; one that fails is reported under ``errors`` and the others
    still run. ``server``: the production server, or Daphne to compare (ADR 012)."""
    started = time.monotonic()
    results: dict[str, Any] = {
        "profile": profile.name,
        "server": server,
        "pipeline": {},
        "errors": {},
        # Other work on the machine skews every figure: say how busy it was.
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
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

    for size in profile.pipeline:

        def pipeline(size: PipelineSize = size) -> None:
            results["pipeline"][size.agents] = measure_pipeline(
                size.agents, size.churn_pcts, size.polls, size.naive_polls
            )

        phase(f"pipeline: {size.agents} agents, churn {size.churn_pcts} %", pipeline)
    session_key = viewer_session()
    with serve(kind=server) as web:

        def freshness() -> None:
            results["freshness"] = measure_freshness(
                web, session_key, profile.freshness_s, profile.freshness_agents
            )

        def fanout() -> None:
            results.update(_fanout(web, session_key, profile))

        phase(f"freshness: headless Chromium, {profile.freshness_s:.0f} s", freshness)
        phase(
            f"fan-out: {profile.fanout_clients} clients; requests with {profile.requests_viewers}",
            fanout,
        )

    def history() -> None:
        results["history"] = measure_history(
            profile.history_agents, profile.history_minutes, profile.history_warmup_minutes
        )

    phase(f"history: {profile.history_agents} agents, simulated day", history)
    results["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["run_s"] = round(time.monotonic() - started, 1)
    say(f"[{results['run_s']:6.1f} s] done")
    return report.build(results)
