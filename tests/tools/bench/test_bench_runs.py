"""``manage.py bench`` at tiny sizes on the real services: every piece runs and the report
has its shape. No timing is asserted (benchmarks report; they never pass or fail)."""

from __future__ import annotations

import json

import pytest

from tools.bench import runner
from tools.bench.profiles import TINY
from tools.bench.report import REQUIRED_KEYS, table

pytestmark = [pytest.mark.services, pytest.mark.browser]


def test_every_benchmark_runs_at_tiny_sizes(transactional_db: None) -> None:
    rep = runner.run(TINY)

    assert set(REQUIRED_KEYS) <= rep.keys()
    details = rep["details"]
    pipeline = details["pipeline"][20]
    assert {"0pct", "50pct", "bytes"} <= pipeline.keys()
    assert pipeline["50pct"]["ours"]["cpu_ms_mean"] is not None
    assert pipeline["50pct"]["naive"]["cpu_ms_mean"] is not None
    assert rep["bytes_per_agent_change"] > 0
    assert rep["full_board_bytes"] > rep["bytes_per_agent_change"]
    fanout = details["fanout"][3]
    assert fanout["clients"] == 3
    assert fanout["p99_ms"] is not None
    two = details["fanout_processes"][2][24]
    assert (two["clients"], two["servers"]) == (24, 2)
    assert two["p99_ms"] is not None
    assert (two["refused"], two["dropped"]) == (0, 0)
    assert rep["errors"] == {}
    assert details["fanout_stock"][3]["p99_ms"] is not None
    assert rep["stock_vs_ours_fanout_ratio_3"] is not None
    assert set(details["requests"]) == {1, 3}
    assert all(row["requests"] > 0 for row in details["requests"].values())
    assert details["freshness"]["changes"] > 0
    assert details["history"]["rows_per_day"] > 0
    assert details["freshness_feed"]["input"] == "feed"
    assert details["click_to_wall"]["clicks"] == 2
    for vendor in ("voipsun", "spikon"):  # each vendor's click shows on the wall
        assert details[f"click_to_wall_{vendor}"]["observed"] == 2
    assert details["feed_cost"]["stored"] == details["feed_cost"]["changes"]
    assert rep["feed_ms_per_agent_change"] is not None
    assert len(rep["targets"]) == 14
    json.dumps(rep, default=str)
    assert "DESIGN §10 targets" in table(rep)
