"""The same deliveries in both modes: the embedded scheduler's sender thread (no Redis) and
Celery (a kick when something is queued, beat for the retries); end to end from a real
poll of the simulator to a real receiver."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import Sim, make_account
from tests.wallboard.notifications.conftest import SECRET, Receiver, Wall
from wallboard.dashboards.models import Board
from wallboard.notifications.models import Channel, Delivery, Rule, Status
from wallboard.notifications.sender import SEND_TASK
from wallboard.notifications.tasks import send_notifications
from wallboard.wiring.pipeline import embedded_scheduler

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_for(check: Callable[[], bool], timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_embedded_mode_polls_alerts_and_delivers_from_its_own_thread(
    daktela_sim: Sim, receiver: Receiver
) -> None:
    account = make_account(daktela_sim, poll_interval_s=1)
    # Fewer than 100 agents ready warns at once; the simulator going away is stale data.
    board = Board.objects.create(name="Wall", ready_warn=100)
    board.accounts.add(account)
    Rule.objects.create(
        board=board,
        name="Hook",
        channel=Channel.WEBHOOK,
        url=receiver.url,
        secret=SECRET,
        on_warning=True,
    )
    scheduler = embedded_scheduler(tick_s=0.1).start()
    try:
        wait_for(lambda: len(receiver.requests) >= 3)  # one warning per simulated queue
        daktela_sim.server.stop()
        wait_for(lambda: any(json.loads(r.body)["event"] == "stale" for r in receiver.requests))
    finally:
        scheduler.stop()
    sent = [json.loads(r.body) for r in receiver.requests]
    assert sorted(e["event"] for e in sent) == ["stale", "warning", "warning", "warning"]
    assert all(r.signed for r in receiver.requests)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Status.DELIVERED}


def test_with_celery_a_queued_delivery_kicks_the_task_and_beat_drains_retries(
    wall: Wall, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.REDIS_URL
    kicked: list[str] = []

    def send_task(name: str, *args: Any, **kwargs: Any) -> None:
        kicked.append(name)

    monkeypatch.setattr("wallboard.notifications.sender.current_app.send_task", send_task)
    receiver.replies = [502]
    wall.rule(Channel.WEBHOOK, url=receiver.url)
    wall.waiting(5, at_s=0)
    assert kicked == [SEND_TASK]
    assert send_notifications() == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Status.PENDING
    schedule = settings.CELERY_BEAT_SCHEDULE["send-notifications"]
    assert schedule["task"] == SEND_TASK
    assert schedule["schedule"] <= settings.NOTIFY_RETRY_BASE_S
    Delivery.objects.update(next_attempt_at=delivery.created_at)  # its back-off is over
    assert send_notifications() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert kicked == [SEND_TASK]  # a retry is beat's, not a new kick
