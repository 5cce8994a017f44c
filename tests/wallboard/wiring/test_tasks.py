"""Celery beat's dispatch: one task per claimed account, sent with its due time, on its
partition's queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from tests.conftest import Sim, make_account
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.scheduler import DISPATCH_TASK, POLL_TASK, REFRESH_TASK
from wallboard.wiring.tasks import dispatch_polls

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_beat_dispatch_queues_one_task_per_claimed_account(
    daktela_sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(daktela_sim, name="one")
    make_account(daktela_sim, name="two")
    sent: list[tuple[tuple[int, ...], dict[str, object]]] = []
    monkeypatch.setattr(
        "wallboard.wiring.tasks.poll_account.apply_async",
        lambda args, **kw: sent.append((args, kw)),
    )
    assert dispatch_polls() == 2
    assert dispatch_polls() == 0  # still leased: nothing queued twice
    assert len(sent) == 2
    assert all(kw["expires"] == 30 for _, kw in sent)
    assert all(kw["eta"] is None for _, kw in sent)  # already due: run at once


def test_beat_dispatch_sends_a_poll_due_before_its_next_call_with_that_eta(
    daktela_sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    soon = make_account(daktela_sim, name="soon")
    later = make_account(daktela_sim, name="later")
    due = timezone.now() + timedelta(seconds=30)
    ProviderAccount.objects.filter(pk=soon.pk).update(next_poll_at=due)
    ProviderAccount.objects.filter(pk=later.pk).update(next_poll_at=due + timedelta(seconds=60))
    sent: list[tuple[tuple[int, ...], dict[str, object]]] = []
    monkeypatch.setattr(
        "wallboard.wiring.tasks.poll_account.apply_async",
        lambda args, **kw: sent.append((args, kw)),
    )
    # A beat period of a minute keeps the test clear of the real clock's progress.
    dispatch = {"task": "wallboard.dispatch_polls", "schedule": 60.0}
    with override_settings(
        CELERY_BEAT_SCHEDULE={**settings.CELERY_BEAT_SCHEDULE, "dispatch-polls": dispatch}
    ):
        assert dispatch_polls() == 1
    assert [(args, kw["eta"]) for args, kw in sent] == [((soon.pk,), due)]


@pytest.mark.parametrize(
    ("partitions", "queues"),
    [(0, ["celery", "celery", "celery"]), (2, ["poll.1", "poll.0", "poll.1"])],
)
def test_an_accounts_polls_and_refreshes_go_to_its_partitions_queue(
    partitions: int, queues: list[str]
) -> None:
    router = current_app.amqp.router
    with override_settings(POLL_PARTITIONS=partitions):
        routed = [router.route({}, POLL_TASK, (pk,), {})["queue"].name for pk in (7, 8, 9)]
        assert routed == queues
        assert router.route({}, REFRESH_TASK, (7,), {})["queue"].name == queues[0]
        assert router.route({}, DISPATCH_TASK, (), {})["queue"].name == "celery"
