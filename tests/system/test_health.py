"""Health and metrics of real processes (ADR 024): /readyz answers 503 naming Redis or the
database while it is gone and 200 again by itself once it is back, /healthz answers
throughout; /metrics of one web process adds up what every worker counted, and drops the
sockets of a web process that was killed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.system.conftest import System, make_accounts, tv_link
from tests.system.processes import WebServer, wait_until

pytestmark = [pytest.mark.system, pytest.mark.services]


def _get(web: WebServer, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{web.port}{path}", timeout=15)


def _readiness(web: WebServer) -> tuple[int, dict[str, Any]]:
    response = _get(web, "/readyz")
    return response.status_code, response.json()


def _unavailable(web: WebServer, *names: str) -> bool:
    status, body = _readiness(web)
    return status == 503 and body["unavailable"] == list(names)


def _ready(web: WebServer) -> bool:
    return _readiness(web)[0] == 200


def test_readyz_follows_redis_down_and_back(system: System) -> None:
    sim = system.simulator()
    make_accounts(sim, 1, interval_s=1)
    web = system.cluster.web("web")
    system.cluster.worker("worker")
    system.cluster.beat("beat")
    web.wait_ready()
    wait_until(
        lambda: _ready(web) and _readiness(web)[1]["scheduler"]["age_s"] is not None,
        60,
        "ready, with beat's heartbeat",
    )

    system.redis.process.kill()
    wait_until(lambda: _unavailable(web, "redis"), 30, "503 naming redis")
    _, body = _readiness(web)
    assert body["checks"]["database"]["ok"] is True
    assert body["scheduler"]["error"]  # the heartbeat lives in Redis: unknown, and said so
    assert _get(web, "/healthz").status_code == 200

    system.redis.start()
    back_at = time.time()
    wait_until(lambda: _ready(web), 30, "ready again once Redis is back")
    # Polls are dispatched again: the restarted (empty) Redis gets a fresh heartbeat.
    wait_until(
        lambda: (_readiness(web)[1]["scheduler"].get("age_s") or 1e9) < time.time() - back_at,
        60,
        "a heartbeat after the restart",
    )


def test_readyz_follows_the_database_down_and_back(system: System) -> None:
    web = system.cluster.web("web")
    web.wait_ready()
    wait_until(lambda: _ready(web), 60, "ready")

    system.postgres.outage(8)
    wait_until(lambda: _unavailable(web, "database"), 8, "503 naming the database")
    assert _get(web, "/healthz").status_code == 200
    wait_until(lambda: _ready(web), 30, "ready again once the database is back")
    # One line when it was lost and one when it was back, whatever the probes in between.
    assert len(web.process.log_lines("database unreachable")) == 1
    assert len(web.process.log_lines("database reachable again")) == 1


def _scrape(web: WebServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = _get(web, "/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _polls(figures: dict[tuple[str, frozenset[tuple[str, str]]], float], account: int) -> float:
    return sum(
        value
        for (name, labels), value in figures.items()
        if name == "wallboard_polls_total" and ("account", str(account)) in labels
    )


TV = ("wallboard_sockets_open", frozenset({("audience", "tv")}))


def test_metrics_add_up_across_processes_and_forget_a_killed_web_servers_sockets(
    system: System, tmp_path: Path
) -> None:
    system.cluster.env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    sim = system.simulator()
    accounts = make_accounts(sim, 2, interval_s=1)
    first = system.cluster.web("web1")
    second = system.cluster.web("web2")
    system.cluster.worker("worker1")
    doomed = system.cluster.worker("worker2")
    system.cluster.beat("beat")
    first.wait_ready()
    second.wait_ready()
    watcher = system.watch(first.port, tv_link(*accounts))
    wait_until(watcher.markers, 30, "the TV's full state")

    # Polls run in the workers' pool processes; either web server's scrape has all of them,
    # as many as the simulator answered (give or take the one in flight).
    wait_until(lambda: all(_polls(_scrape(second), a.pk) >= 3 for a in accounts), 60, "polls")
    doomed.kill()
    for account in accounts:
        started_before = len(sim.poll_starts(account.name))
        counted = _polls(_scrape(second), account.pk)
        started_after = len(sim.poll_starts(account.name))
        # Each counted poll was started; of those started, the one in flight in each worker
        # (the killed one's never commits) is not counted yet.
        assert started_before - 2 <= counted <= started_after
    assert _scrape(second)[TV] == 1

    # The web server holding the TV's socket dies: its socket is no longer counted, the
    # polls counted by the killed worker still are.
    before = {a.pk: _polls(_scrape(second), a.pk) for a in accounts}
    first.process.kill()
    figures = _scrape(second)
    assert figures.get(TV, 0) == 0
    assert all(_polls(figures, pk) >= count for pk, count in before.items())
