"""``manage.py soak`` at a tiny size on the real services: every process of the production
shape starts, is sampled and judged, and nothing is left behind, after a full run or an
interrupted one. No time or memory figure is asserted (the full soak judges those)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psutil
import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connections

from tools.soak import SoakConfig, TvClient, redis_url, rss_check, series_stats, table
from wallboard.dashboards.html import seq_marker

ROOT = Path(settings.BASE_DIR)
REDIS_DB = 12  # not the command's default, so a soak running on this machine is not refused
ROLES = {"sim-daktela", "sim-spikon", "sim-voipsun", "web", "worker", "beat", "clients"}
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_the_agents_are_split_between_the_vendors() -> None:
    assert SoakConfig(agents=500).vendors() == {"daktela": 200, "spikon": 150, "voipsun": 150}
    assert sum(SoakConfig(agents=7).vendors().values()) == 7
    assert min(SoakConfig(agents=3).vendors().values()) == 1


def test_a_figure_is_judged_on_the_line_through_its_second_half() -> None:
    # A warm-up peak, then a climb of 1 per minute.
    stats = series_stats([(0, 50), (60, 10), (120, 10), (180, 11), (240, 12)], half_at=120)

    assert (stats["start"], stats["end"], stats["max"]) == (50, 12, 50)
    assert stats["slope_per_h"] == pytest.approx(60)
    assert stats["rise"] == pytest.approx(2)


def test_rss_grows_only_when_both_its_slope_and_its_rise_pass_the_limits() -> None:
    def verdict(slope_per_h: float, rise: float) -> str:
        stats = {"start": 100, "end": 110, "max": 110, "slope_per_h": slope_per_h, "rise": rise}
        return str(rss_check("web", stats)["verdict"])

    assert verdict(60, 15) == "growing"
    assert verdict(60, 2) == "stable"  # a short run: allocator noise
    assert verdict(10, 15) == "stable"
    assert rss_check("web", series_stats([], 0))["verdict"] == "not measured"


def test_a_tv_client_follows_live_js_on_the_real_markers() -> None:
    tv = TvClient("127.0.0.1", 1, "/")

    assert not tv.resync_needed(seq_marker(7, 5, NOW, full=True, oob=True))
    assert not tv.resync_needed(seq_marker(7, 6, NOW, oob=True))
    assert not tv.resync_needed(seq_marker(7, 6, NOW, oob=True))  # old: dropped
    assert tv.stale == 1
    assert tv.resync_needed(seq_marker(7, 7, NOW, resync=True, oob=True))
    assert tv.resync_needed(seq_marker(7, 9, NOW, oob=True))  # a gap
    assert (tv.resyncs_marker, tv.resyncs_gap) == (1, 1)


def soak(database: str, *extra: str) -> list[str]:
    # 6 s sampled every second: seven samples, a first and a second half, as the 18 s every
    # 2 s had (ten); the start-up and the stop take the rest of the minute.
    return [
        sys.executable, str(ROOT / "manage.py"), "soak", "--minutes", "0.1", "--agents", "20",
        "--clients", "5", "--sample-s", "1", "--concurrency", "1", "--redis-db", str(REDIS_DB),
        "--database", database, *extra,
    ]  # fmt: skip


def database_exists(name: str) -> bool:
    db = connections["default"].settings_dict
    with psycopg.connect(
        dbname="postgres", user=db["USER"], password=db.get("PASSWORD") or None,
        host=db["HOST"], port=db["PORT"] or None, autocommit=True,
    ) as conn:  # fmt: skip
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def processes_on(database: str) -> list[psutil.Process]:
    """The processes still running that were started on this database."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("DATABASE_URL", "").endswith(f"/{database}"):
                found.append(proc)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def assert_nothing_left(database: str) -> None:
    assert processes_on(database) == []
    assert not database_exists(database)
    assert redis.Redis.from_url(redis_url(settings.REDIS_URL, REDIS_DB)).dbsize() == 0


@pytest.mark.services
def test_a_tiny_soak_reports_every_process_and_leaves_nothing_behind() -> None:
    database = f"wallboard_soak_test_{os.getpid()}"
    done = subprocess.run(
        soak(database, "--json"), cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )

    assert done.stdout, done.stderr
    rep = json.loads(done.stdout)
    assert done.returncode == (0 if rep["passed"] else 1), done.stderr
    assert rep["passed"] == all(check["met"] for check in rep["checks"])
    assert set(rep["processes"]) == ROLES
    for row in rep["processes"].values():
        assert row["alive"]
        for figure in ("rss_mb", "fds", "tcp"):
            assert set(row[figure]) == {"start", "end", "max", "slope_per_h", "rise"}
            assert row[figure]["start"] > 0
    assert rep["processes"]["worker"]["processes"] == 2  # the worker and its one pool process
    assert set(rep["resources"]) == {
        "postgres_connections", "redis_keys", "redis_prefix_keys", "redis_connections",
        "pubsub_channels",
    }  # fmt: skip
    assert rep["soak"]["vendors"] == {"daktela": 8, "spikon": 6, "voipsun": 6}
    assert rep["traffic"]["connects"] >= 5
    assert rep["traffic"]["messages"] >= 5  # at least each TV's full state on connect
    assert len(rep["series"]) == rep["soak"]["samples"] >= 2
    checked = {check["what"] for check in rep["checks"]}
    assert {
        "web RSS",
        "worker RSS",
        "beat RSS",
        "sim-voipsun open files",
        "failed polls",
    } <= checked
    assert "clients RSS" not in checked
    assert {check["verdict"] for check in rep["checks"]} <= {"stable", "growing", "ok", "failed"}
    assert ("PASSED" if rep["passed"] else "FAILED") in table(rep)
    assert_nothing_left(database)


@pytest.mark.services
def test_an_interrupted_soak_stops_and_removes_everything() -> None:
    database = f"wallboard_soak_int_{os.getpid()}"
    proc = subprocess.Popen(
        soak(database), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if line.startswith("soaking for"):
                break
        else:
            pytest.fail("the soak ended before it started sampling")
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(timeout=120) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "interrupted" in rest
    assert_nothing_left(database)
