"""The benchmark report's shape and target checks, from made-up figures (no services)."""

from __future__ import annotations

import json
from typing import Any

from tools.bench import report


def _results() -> dict[str, Any]:
    costs = {
        "cpu_ms_mean": 40.0,
        "cpu_ms_p50": 40.0,
        "cpu_ms_p99": 45.0,
        "wall_ms_mean": 50.0,
        "wall_ms_p50": 50.0,
    }
    naive = {**costs, "cpu_ms_mean": 800.0, "wall_ms_mean": 900.0}
    return {
        "profile": "made-up",
        "run_s": 1.0,
        "pipeline": {
            1000: {
                "5pct": {
                    "churn_pct": 5,
                    "ours": costs,
                    "naive": naive,
                    "naive_ratio_cpu": 20.0,
                    "naive_ratio_wall": 18.0,
                },
                "bytes": {
                    "bytes_per_agent_change": 900,
                    "full_board_bytes": 300_000,
                    "board_agents": 1000,
                    "board_queues": 100,
                },
            }
        },
        "fanout": {
            n: {"p50_ms": 50.0, "p99_ms": p99, "dropped": 0, "clients": n}
            for n, p99 in ((100, 20.0), (500, 140.0), (1000, 80.0))
        },
        "fanout_processes": {2: {2000: {"p50_ms": 60.0, "p99_ms": 170.0, "dropped": 0}}},
        "fanout_stock": {1000: {"p50_ms": 150.0, "p99_ms": 120.0, "dropped": 3}},
        "requests": {
            1: {"per_min": 174.0, "resolution_per_min": 6.2, "requests": 87, "polls": 28},
            500: {"per_min": 168.0, "resolution_per_min": 6.0, "requests": 84, "polls": 28},
        },
        "freshness": {
            "p50_ms": 1200.0,
            "p99_ms": 2250.0,
            "own_share_p50_ms": 60.0,
            "own_share_p99_ms": 90.0,
            "observed": 50,
        },
        "freshness_feed": {"p50_ms": 120.0, "p99_ms": 280.0, "input": "feed"},
        "click_to_wall": {"p50_ms": 240.0, "p90_ms": 420.0},
        "click_to_wall_voipsun": {"p50_ms": 90.0, "p90_ms": 120.0},
        "feed_cost": {"cpu_ms_per_change": 1.5},
        "history": {
            "agents": 500,
            "mb_per_day": 30.0,
            "rows_per_day": 1,
            "bytes_per_row": 1.0,
            "measured_minutes": 3,
        },
    }


def test_the_report_has_every_key_of_issue_6() -> None:
    figures = report.flatten(_results())

    assert set(report.REQUIRED_KEYS) <= figures.keys()
    assert figures["pipeline_ms_1000_agents_5pct"] == 40.0
    assert figures["pipeline_naive_ratio_1000_agents_5pct"] == 20.0
    assert figures["fanout_p99_ms_1000_clients"] == 80.0
    assert figures["fanout_p99_ms_2000_clients_2_processes"] == 170.0
    assert figures["stock_fanout_dropped_1000_clients"] == 3
    assert figures["stock_vs_ours_fanout_ratio_1000"] == 1.5  # stock p99 / ours
    assert figures["provider_requests_per_min_500_viewers"] == 168.0
    assert figures["history_mb_per_day_500_agents"] == 30.0
    assert (figures["freshness_feed_p99_ms"], figures["feed_ms_per_agent_change"]) == (280.0, 1.5)
    assert (figures["click_to_wall_p50_ms"], figures["click_to_wall_p90_ms"]) == (240.0, 420.0)


def test_each_target_is_judged_against_its_figure() -> None:
    met = {t["what"]: t["met"] for t in report.targets(report.flatten(_results()))}

    assert met["pipeline CPU per poll, 1,000 agents, 5 % churn"] is True
    assert met["fan-out p99, 1,000 clients on 1 process"] is True
    assert met["fan-out p99, 2,000 clients on 2 processes"] is False
    assert met["fan-out vs stock Channels + Daphne, 1,000 clients, same run"] is False
    assert met["provider requests/min, 1 vs 500 viewers"] is True
    assert met["history, 500 agents, 8-hour day"] is True
    assert met["data age with the feed (Daktela), p99"] is True
    assert met["supervisor click → the board shows it, every vendor"] is False  # Daktela's p90
    assert met["freshness own share p99"] is False  # 90 ms against DESIGN's 30
    assert met["CPU per fed agent change, end to end"] is True


def test_viewers_that_add_requests_fail_the_requests_target() -> None:
    results = _results()
    results["requests"][500] |= {"requests": 87 + 28}  # one request more in each poll
    met = {t["what"]: t["met"] for t in report.targets(report.flatten(results))}

    assert met["provider requests/min, 1 vs 500 viewers"] is False


def test_every_vendor_measured_must_meet_the_click_target() -> None:
    results = _results()
    results["click_to_wall"] = {"p50_ms": 80.0, "p90_ms": 110.0}
    results["click_to_wall_spikon"] = {"p50_ms": 90.0, "p90_ms": 450.0}
    check = next(t for t in report.targets(report.flatten(results)) if "click" in t["what"])

    assert check["met"] is False
    assert "spikon p50 90.0 ms, p90 450.0 ms" in check["measured"]
    results["click_to_wall_spikon"]["p90_ms"] = 300.0
    check = next(t for t in report.targets(report.flatten(results)) if "click" in t["what"])
    assert check["met"] is True
    assert check["measured"].count("p50") == 3


def test_a_figure_not_measured_is_none_not_a_failure() -> None:
    figures = report.flatten({"pipeline": {}})

    assert figures["fanout_p99_ms_500_clients"] is None
    assert all(t["met"] is None for t in report.targets(figures))
    json.dumps(figures)


def test_the_heading_says_how_fast_the_machine_ran() -> None:
    machine = {"cpu": "AMD EPYC", "cores": 2, "postgresql": "15.19", "load_avg_start": [0.3]}
    machine |= {"load_avg_end": [2.1], "python_gauge_ms_start": 61.5, "python_gauge_ms_end": 130.2}
    lines = report.heading({"profile": "full", "run_s": 433.0, "machine": machine})

    assert "Python gauge 61.5 ms at start, 130.2 ms at end" in lines[-1]
