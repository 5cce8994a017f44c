"""History grows with changes, not with polls; queue samples keep a minimum spacing."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from pytest_django import Settings as SettingsWrapper

from providers.model import AgentStatus
from tests.conftest import Sim, make_account
from tests.wallboard.reports.conftest import run_polls
from wallboard.monitoring.models import AgentStatusSpan, PollLog, Queue, QueueSample

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

QUIET = {"calls_per_min_per_queue": 0.0, "pause_rate_per_hour": 0.0, "patience_s": 1e9}


def _history() -> tuple[int, int, int]:
    return AgentStatusSpan.objects.count(), QueueSample.objects.count(), PollLog.objects.count()


def test_many_polls_of_an_unchanged_center_write_no_history(
    past_sim: Callable[..., Sim],
) -> None:
    sim = past_sim(**QUIET)
    sim.advance(4 * 3600)  # let every pause that started before the run end
    account = make_account(sim)
    run_polls(sim, account, polls=1, every_s=2)
    before = _history()
    assert before[0] > 0

    run = run_polls(sim, account, polls=40, every_s=2)

    assert [r.changes for r in run.results] == [0] * 40
    assert _history() == before


def test_a_caller_waiting_longer_and_longer_is_one_sample(
    past_sim: Callable[..., Sim],
) -> None:
    sim = past_sim(**QUIET)
    sim.advance(4 * 3600)
    engine = sim.engine
    for agent in engine.truth().agents:  # nobody to answer
        if agent.status is AgentStatus.IDLE:
            engine.set_status(agent.id, AgentStatus.PAUSED, pause_id="7")
    account = make_account(sim)
    run_polls(sim, account, polls=1, every_s=2)
    engine.add_waiting_call("1", "226211245")
    run_polls(sim, account, polls=1, every_s=2)
    spans, samples, _ = _history()

    run_polls(sim, account, polls=40, every_s=2)  # the wait grows 80 s; nothing else moves

    assert _history()[:2] == (spans, samples)
    sample = QueueSample.objects.filter(queue__vendor_id="1").latest("taken_at")
    assert (sample.calls_waiting, sample.longest_wait_s) == (1, 0)


def _assert_spaced(min_spacing_s: int) -> int:
    count = 0
    for queue in Queue.objects.all():
        times = list(
            QueueSample.objects.filter(queue=queue)
            .order_by("taken_at")
            .values_list("taken_at", flat=True)
        )
        count += len(times)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= timedelta(seconds=min_spacing_s) for gap in gaps), gaps
    return count


def test_queue_samples_keep_the_minimum_spacing_and_end_on_the_current_figures(
    past_sim: Callable[..., Sim], settings: SettingsWrapper
) -> None:
    settings.QUEUE_SAMPLE_MIN_SPACING_S = 10
    sim = past_sim(calls_per_min_per_queue=12.0)
    account = make_account(sim)
    run_polls(sim, account, polls=45, every_s=2)

    stored = _assert_spaced(10)

    assert stored <= 3 * (1 + 180 // 10)
    for queue in Queue.objects.filter(account=account):
        newest = QueueSample.objects.filter(queue=queue).latest("taken_at")
        current = (queue.calls_waiting, queue.agents_ready, queue.agents_busy, queue.agents_paused)
        assert (
            newest.calls_waiting,
            newest.agents_ready,
            newest.agents_busy,
            newest.agents_paused,
        ) == current
        if queue.longest_wait_since is not None:
            # Kept as of the sample's own time: taken_at - longest_wait_s is the arrival.
            arrived = int((newest.taken_at - queue.longest_wait_since).total_seconds())
            assert newest.longest_wait_s == max(0, arrived)


def test_without_spacing_every_changed_poll_is_a_sample(
    past_sim: Callable[..., Sim], settings: SettingsWrapper
) -> None:
    settings.QUEUE_SAMPLE_MIN_SPACING_S = 0
    sim = past_sim(calls_per_min_per_queue=12.0)
    account = make_account(sim)
    run_polls(sim, account, polls=45, every_s=2)
    spaced_out = _assert_spaced(2)
    assert spaced_out > 3 * (1 + 180 // 10)
