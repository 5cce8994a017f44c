"""The product's hook: every step runs after a commit, whatever the others did."""

from __future__ import annotations

import logging

import pytest

from wallboard.monitoring.hooks import Committed
from wallboard.wiring import pipeline

EVENT = Committed(account_pk=1, vendor="daktela", seq=3, ok=True, duration_ms=1.0)


def test_a_failing_step_is_logged_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken(event: Committed) -> None:
        raise RuntimeError("boom")

    def alerts(event: Committed) -> None:
        ran.append(f"alerts {event.account_pk}")

    monkeypatch.setattr(pipeline, "STEPS", (broken, alerts))
    with caplog.at_level(logging.ERROR, "wallboard.wiring"):
        pipeline.after_commit(EVENT)
    assert ran == ["alerts 1"]
    assert "broken after a change of account 1 failed" in caplog.text


def test_the_product_pushes_then_evaluates_alerts_then_counts_then_plans() -> None:
    """The push first: nothing a screen waits for runs before it (the forecast's plan,
    computed again once a minute, last)."""
    assert [step.__name__ for step in pipeline.STEPS] == ["_push", "_alerts", "_metrics", "_plan"]


def test_alerts_are_evaluated_once_for_the_screens_and_the_notifications(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert [step.__name__ for step in pipeline.ALERT_STEPS] == ["publish_alerts", "notify"]
    evaluated: list[int] = []
    told: list[object] = []
    changed = {7: []}

    def evaluate(account_pk: int) -> object:
        evaluated.append(account_pk)
        return changed

    def publish_alerts(value: object) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(pipeline, "evaluate_account", evaluate)
    monkeypatch.setattr(pipeline, "ALERT_STEPS", (publish_alerts, told.append))
    with caplog.at_level(logging.ERROR, "wallboard.wiring"):
        pipeline.after_commit(EVENT)
    # The screens could not be told; the notifications still are, of the same evaluation.
    assert evaluated == [1]
    assert told == [changed]
    assert "publish_alerts after a change of account 1 failed" in caplog.text
