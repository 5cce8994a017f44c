"""The scheduler's heartbeat: stamped where polls are dispatched (Celery's dispatch task,
the embedded scheduler's tick), at most every EVERY_S per process, and read by
``manage.py heartbeat``, the compose stack's beat healthcheck."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.system.processes import wait_until
from wallboard.monitoring import heartbeat
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.scheduler import EmbeddedScheduler
from wallboard.wiring.tasks import dispatch_polls

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_heartbeat() -> Iterator[None]:
    heartbeat.cache.delete(heartbeat.KEY)
    heartbeat._stamped_at = -heartbeat.EVERY_S
    yield
    heartbeat.cache.delete(heartbeat.KEY)


def test_the_dispatch_task_stamps_it_at_most_every_few_seconds() -> None:
    assert heartbeat.last() is None
    dispatch_polls()
    first = heartbeat.last()
    assert first is not None
    assert time.time() - first < 5
    dispatch_polls()
    assert heartbeat.last() == first  # within EVERY_S: not written again


def test_the_embedded_scheduler_stamps_it_each_tick() -> None:
    scheduler = EmbeddedScheduler(on_commit=ignore, tick_s=0.05).start()
    try:
        wait_until(heartbeat.last, 10, "a heartbeat")
    finally:
        scheduler.stop()


def test_the_healthcheck_command_fails_without_a_recent_heartbeat() -> None:
    with pytest.raises(CommandError, match="never been dispatched"):
        call_command("heartbeat")
    heartbeat.cache.set(heartbeat.KEY, time.time() - 100, timeout=None)
    with pytest.raises(CommandError, match=r"last dispatched 10\d s ago"):
        call_command("heartbeat", max_age=30)
    heartbeat.stamp()
    call_command("heartbeat", max_age=30)
