"""Board alerts: thresholds, cool-down against flapping, the stale-provider alarm, and the
push to every screen showing the board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wallboard.dashboards.alerts import Limits, evaluate_account, queue_level, settle
from wallboard.dashboards.models import Alert, Board, Level, QueueThreshold
from wallboard.monitoring.models import ProviderAccount, Queue

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
COOL = timedelta(seconds=30)


def _queue(**figures: object) -> Queue:
    return Queue(name="Support", **figures)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ({"calls_waiting": 0}, Level.OK),
        ({"calls_waiting": 3}, Level.WARN),
        ({"calls_waiting": 6}, Level.ALARM),
        ({"calls_waiting": 1, "longest_wait_since": T0 - timedelta(seconds=45)}, Level.WARN),
        ({"calls_waiting": 1, "longest_wait_since": T0 - timedelta(seconds=90)}, Level.ALARM),
        ({"service_level_pct": 85.0}, Level.OK),
        ({"service_level_pct": 75.0}, Level.WARN),
        ({"service_level_pct": 50.0}, Level.ALARM),
        ({"agents_ready": 1}, Level.WARN),
        ({"agents_ready": 0}, Level.ALARM),
        ({}, Level.OK),
    ],
)
def test_the_worst_figure_decides_the_level(figures: dict[str, object], expected: Level) -> None:
    limits = Limits(
        waiting_warn=3,
        waiting_alarm=6,
        longest_wait_warn_s=30,
        longest_wait_alarm_s=60,
        sla_warn_pct=80,
        sla_alarm_pct=60,
        ready_warn=2,
        ready_alarm=1,
    )
    assert queue_level(_queue(**figures), limits, T0) == expected


def test_a_level_rises_at_once_and_falls_only_after_the_cool_down() -> None:
    alert = Alert(level=Level.OK, since=T0)
    assert settle(alert, Level.ALARM, T0, COOL)
    assert alert.level == Level.ALARM
    # The queue drops below the limit for a moment: still alarm (no flapping).
    assert not settle(alert, Level.OK, T0 + timedelta(seconds=5), COOL)
    assert not settle(alert, Level.ALARM, T0 + timedelta(seconds=10), COOL)
    assert not settle(alert, Level.OK, T0 + timedelta(seconds=12), COOL)
    assert not settle(alert, Level.OK, T0 + timedelta(seconds=41), COOL)
    assert alert.level == Level.ALARM
    assert settle(alert, Level.OK, T0 + timedelta(seconds=42), COOL)
    assert alert.level == Level.OK


def test_a_queue_override_beats_the_board_default() -> None:
    board = Board(waiting_warn=5, waiting_alarm=10)
    override = QueueThreshold(waiting_alarm=2)
    assert Limits.of(board, override) == Limits(waiting_warn=5, waiting_alarm=2)


@pytest.mark.django_db
def test_evaluation_stores_only_changes_and_raises_the_stale_alarm() -> None:
    account = ProviderAccount.objects.create(name="a", vendor="daktela", base_url="http://x")
    queue = Queue.objects.create(account=account, vendor_id="1", name="Support", calls_waiting=0)
    board = Board.objects.create(name="Wall", waiting_alarm=2)
    board.accounts.add(account)

    assert evaluate_account(account.pk, T0) == {}
    assert Alert.objects.count() == 0  # all is well: nothing to store
    assert evaluate_account(account.pk, T0 + timedelta(seconds=2)) == {}

    Queue.objects.filter(pk=queue.pk).update(calls_waiting=3)
    changed = evaluate_account(account.pk, T0 + timedelta(seconds=4))
    assert [(a.queue_id, a.level) for a in changed[board.pk]] == [(queue.pk, Level.ALARM)]

    ProviderAccount.objects.filter(pk=account.pk).update(stale=True)
    changed = evaluate_account(account.pk, T0 + timedelta(seconds=6))
    assert [(a.queue_id, a.level) for a in changed[board.pk]] == [(None, Level.ALARM)]

    ProviderAccount.objects.filter(pk=account.pk).update(stale=False)
    assert evaluate_account(account.pk, T0 + timedelta(seconds=8)) == {}
    recovered = evaluate_account(account.pk, T0 + timedelta(seconds=40))
    assert [(a.queue_id, a.level) for a in recovered[board.pk]] == [(None, Level.OK)]
