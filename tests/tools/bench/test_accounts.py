"""The accounts benchmark's pieces that need no Celery: the replay vendor and the summary.
No timing is asserted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tools.bench import replay
from tools.bench.accounts import summary


def _get(app: replay.ReplayApp, path: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "path": path}, receive, send))
    return sent[0]["status"], sent[1]["body"]


def test_replay_serves_the_recorded_moments_per_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moments = [{"/api/4.1/RTUsersState/json": f'{{"moment": {n}}}'} for n in range(3)]
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(moments))
    monkeypatch.setenv(replay.REPLAY_FILE_ENV, str(path))
    app = replay.ReplayApp()

    status, body = _get(app, "/a7/api/4.1/RTUsersState/json")
    assert status == 200
    assert json.loads(body)["moment"] in (0, 1, 2)
    assert _get(app, "/a7/api/4.1/Unknown/json")[0] == 404
    assert _get(app, "/nope/api/4.1/RTUsersState/json")[0] == 404


def _step(accounts: int, polls_per_s: float, p99_ms: float, cpu_ms: float) -> dict[str, Any]:
    return {"accounts": accounts, "polls_per_s": polls_per_s, "data_age_p99_ms": p99_ms,
            "worker_cpu_ms_per_poll": cpu_ms, "postgres_cpu_ms_per_poll": 1.0}  # fmt: skip


def test_summary_names_the_largest_count_holding_the_age_limit() -> None:
    steps = [_step(10, 5, 2100, 40), _step(50, 24, 2250, 42), _step(100, 30, 9000, 60)]
    figures = summary({"steps": steps, "age_limit_ms": 2300})

    assert figures["accounts_max_at_2300ms"] == 50
    assert figures["accounts_sustained_polls_per_s"] == 30
    assert figures["accounts_cpu_ms_per_poll_50_agents"] == 42


def test_a_count_holds_only_if_every_smaller_one_held() -> None:
    steps = [_step(10, 5, 2000, 14), _step(50, 27, 5500, 14), _step(100, 50, 2200, 13)]
    figures = summary({"steps": steps, "age_limit_ms": 2300})

    assert figures["accounts_max_at_2300ms"] == 10
    assert figures["accounts_cpu_ms_per_poll_50_agents"] == 14


def test_summary_when_no_step_holds() -> None:
    figures = summary({"steps": [_step(10, 2, 9000, 80)], "age_limit_ms": 2300})

    assert figures["accounts_max_at_2300ms"] == 0
    assert figures["accounts_cpu_ms_per_poll_50_agents"] == 80
    assert summary({}) == {}
