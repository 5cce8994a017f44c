"""Erlang C on the queue tile: a dash without data, the figures with it, on the page and in
the pushes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from tests.conftest import make_user
from wallboard.dashboards.forecast import (
    KEEP_S,
    REFRESH_S,
    plan_key,
    planned,
    refresh_plan,
    wait_text,
    with_forecasts,
)
from wallboard.dashboards.html import queue_forecast
from wallboard.dashboards.models import Board, QueueThreshold
from wallboard.dashboards.updates import Update
from wallboard.monitoring.current import StoredChanges
from wallboard.monitoring.models import ProviderAccount, Queue, QueueSample

pytestmark = pytest.mark.django_db

# The textbook case: 50 calls of 180 s in 15 minutes are 10 Erlangs; 80 % in 20 s takes 14
# agents, and 14 agents answer on average in 7.8 s.
TEXTBOOK = "needs 14 · ASA 8\N{NO-BREAK SPACE}s"


@pytest.fixture
def account() -> Iterator[ProviderAccount]:
    account = ProviderAccount.objects.create(
        name="Centre", vendor="daktela", base_url="http://pbx.example"
    )
    cache.delete(plan_key(account.pk))
    yield account
    cache.delete(plan_key(account.pk))


def _queue(account: ProviderAccount, name: str, *, calls: int | None) -> Queue:
    queue = Queue.objects.create(
        account=account,
        vendor_id=name,
        name=name,
        avg_talk_s=180,
        agents_ready=2,
        agents_busy=12,
        agents_paused=3,
        calls_waiting=0,
    )
    if calls is not None:
        now = timezone.now()
        for minutes_ago, answered in ((20, 100), (0, 100 + calls)):
            QueueSample.objects.create(
                queue=queue,
                taken_at=now - timedelta(minutes=minutes_ago),
                answered=answered,
                abandoned=0,
                calls_waiting=0,
            )
    return queue


def _line(queue: Queue) -> str:
    with translation.override("en"):
        return str(queue_forecast(with_forecasts([queue])[0]))


def _two_queues(account: ProviderAccount) -> tuple[Queue, Queue]:
    return _queue(account, "busy", calls=50), _queue(account, "other", calls=50)


def test_the_tile_shows_a_dash_without_data_and_the_figures_with_it(
    account: ProviderAccount,
) -> None:
    busy = _queue(account, "busy", calls=50)
    quiet = _queue(account, "quiet", calls=None)
    assert f">{TEXTBOOK}</p>" in _line(busy)
    assert ">\N{EN DASH}</p>" in _line(quiet)
    assert "needs" not in _line(quiet)


def test_a_board_target_for_the_queue_sets_the_agents_needed(account: ProviderAccount) -> None:
    queue = _queue(account, "busy", calls=50)
    board = Board.objects.create(name="Wall")
    # 14 agents answer 88.8 % in 20 s: a 90 % target takes one more.
    QueueThreshold.objects.create(board=board, queue=queue, sla_target_pct=90, sla_threshold_s=20)
    assert ">needs 15 · ASA " in _line(queue)


def test_the_board_page_shows_the_figures(account: ProviderAccount) -> None:
    _queue(account, "busy", calls=50)
    client = Client()
    client.force_login(make_user("sup", "supervisor", accounts=(account,)))
    page = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="forecast-line" title="Erlang C' in page
    assert f">{TEXTBOOK}</p>" in page


def test_an_agent_change_pushes_the_expected_wait_with_the_counts(
    account: ProviderAccount,
) -> None:
    queue, other = _two_queues(account)
    planned(account.pk, push=True)  # the plan is made and sent: only the changed line is
    Queue.objects.filter(pk=queue.pk).update(agents_ready=0)  # two agents paused
    changed = Queue.objects.get(pk=queue.pk)
    changes = StoredChanges(
        queues=[changed], queue_changes={queue.pk: frozenset({"agents_ready", "agents_paused"})}
    )
    with translation.override("en"):
        html, _ = Update.load(account, 2, changes, False).render()
    # No one is free: the next caller waits for the first of the 12 busy agents to finish,
    # 180 / 12 = 15 s (the steady-state average for 12 agents would say 40 s).
    assert f'<p id="queue-{queue.pk}-forecast" class="forecast"' in html
    assert ">needs 14 · ASA 15\N{NO-BREAK SPACE}s</p>" in html
    assert f"queue-{other.pk}-forecast" not in html


@pytest.mark.parametrize(
    ("ready", "busy", "waiting", "text"),
    [
        # Agents free and no one waiting: the steady-state Erlang C average (7.8 s).
        (2, 12, 0, "ASA 8\N{NO-BREAK SPACE}s"),
        # Five callers ahead, every one of 12 agents busy: the sixth completion, 6 * 15 s.
        (0, 12, 5, "ASA 1:30"),
        # Callers waiting and no agent taking calls: they wait until someone comes back.
        (0, 0, 3, "ASA \N{INFINITY}"),
    ],
)
def test_the_expected_wait_counts_the_callers_already_waiting(
    account: ProviderAccount, ready: int, busy: int, waiting: int, text: str
) -> None:
    queue = _queue(account, "busy", calls=50)
    Queue.objects.filter(pk=queue.pk).update(
        agents_ready=ready, agents_busy=busy, calls_waiting=waiting
    )
    assert f"· {text}</p>" in _line(Queue.objects.get(pk=queue.pk))


def test_a_fresh_plan_is_pushed_for_every_queue_of_the_account(
    account: ProviderAccount,
) -> None:
    queue = _queue(account, "busy", calls=50)
    other = _queue(account, "other", calls=None)
    changes = StoredChanges(queues=[queue], queue_changes={queue.pk: frozenset({"abandoned"})})
    with translation.override("en"):
        html, _ = Update.load(account, 2, changes, False).render()
        again, _ = Update.load(account, 3, changes, False).render()
    assert f">{TEXTBOOK}</p>" in html
    assert f'<p id="queue-{other.pk}-forecast" class="forecast"' in html
    assert "forecast" not in again, "within the minute the plan stands"


def _age_plan(account: ProviderAccount, seconds: float) -> float:
    """Make the cached plan ``seconds`` old; when it now says it was computed."""
    cached = cache.get(plan_key(account.pk))
    aged = dataclasses.replace(cached, computed_at=cached.computed_at - seconds)
    cache.set(plan_key(account.pk), aged)
    return float(aged.computed_at)


def _pushed(account: ProviderAccount, queue: Queue, seq: int) -> str:
    changes = StoredChanges(queues=[queue], queue_changes={queue.pk: frozenset({"abandoned"})})
    with translation.override("en"):
        return Update.load(account, seq, changes, False).render()[0]


def test_an_aged_plan_does_not_hold_up_a_push_the_next_push_sends_the_new_one(
    account: ProviderAccount,
) -> None:
    queue, other = _two_queues(account)
    _pushed(account, queue, 2)  # the plan is made and sent
    aged_at = _age_plan(account, REFRESH_S + 1)

    html = _pushed(account, queue, 3)
    assert cache.get(plan_key(account.pk)).computed_at == aged_at, "not computed in the push"
    assert f"queue-{other.pk}-forecast" not in html
    refresh_plan(account.pk)  # the hook's step after the push
    assert cache.get(plan_key(account.pk)).computed_at > aged_at
    html = _pushed(account, queue, 4)
    assert f'<p id="queue-{other.pk}-forecast" class="forecast"' in html
    assert f"queue-{other.pk}-forecast" not in _pushed(account, queue, 5), "sent once"


def test_a_plan_older_than_a_push_may_send_is_computed_in_the_push(
    account: ProviderAccount,
) -> None:
    queue, other = _two_queues(account)
    _pushed(account, queue, 2)
    aged_at = _age_plan(account, KEEP_S + 1)

    html = _pushed(account, queue, 3)
    assert cache.get(plan_key(account.pk)).computed_at > aged_at
    assert f'<p id="queue-{other.pk}-forecast" class="forecast"' in html


def test_a_plan_a_page_made_reaches_the_screens_with_the_next_push(
    account: ProviderAccount,
) -> None:
    queue, other = _two_queues(account)
    with_forecasts([queue])  # a board page loads first

    assert f'<p id="queue-{other.pk}-forecast" class="forecast"' in _pushed(account, queue, 2)


def test_a_pushed_tile_carries_the_figures(account: ProviderAccount) -> None:
    queue = _queue(account, "busy", calls=50)
    changes = StoredChanges(queues=[queue], queue_changes={queue.pk: frozenset({"calls_waiting"})})
    with translation.override("en"):
        html, _ = Update.load(account, 2, changes, False).render()
    tile = html[html.index(f'<article id="queue-{queue.pk}"') :]
    assert f">{TEXTBOOK}</p>" in tile[: tile.index("</article>")]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "\N{EN DASH}"), (7.84, "8\N{NO-BREAK SPACE}s"), (185.2, "3:05"), (float("inf"), "∞")],
)
def test_wait_text(seconds: float | None, text: str) -> None:
    assert wait_text(seconds) == text
