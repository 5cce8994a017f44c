"""Daktela's long-poll as the vendor-neutral ``Feed`` (ADR 019), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from providers.base import AccountConfig, AgentRef
from providers.daktela.feed import AgentFeed
from providers.feeds import AgentChanges
from providers.model import Agent, AgentStatus
from providers.spikon.adapter import SpikonProvider
from tests.providers.daktela.test_agent_watcher import Center, make_center


@pytest.fixture
def center() -> Iterator[Center]:
    yield from make_center()


def refs(*logins: str) -> list[AgentRef]:
    return [AgentRef(id=login, login=login) for login in logins]


def test_changes_come_in_batches_and_the_feed_says_it_is_live(center: Center) -> None:
    login = center.ready("1")
    feed = center.provider().agent_feed(refs(login))
    assert isinstance(feed, AgentFeed)
    feed.start()
    try:
        assert feed.next_changes(0).live is False  # nothing read yet
        # The first reading is the baseline: live, and no change.
        assert any(feed.next_changes(0.05).live for _ in range(200))
        center.engine.pause("1", "6")
        batch = feed.next_changes(5.0)
        assert batch.live
        assert [(a.login, a.status) for a in batch.agents] == [(login, AgentStatus.PAUSED)]
    finally:
        feed.close()


def test_no_feed_where_it_is_off_too_old_or_has_no_one_to_watch(center: Center) -> None:
    assert center.provider(instant_agents="no").agent_feed(refs("a")) is None
    assert center.provider(api_version="3.9").agent_feed(refs("a")) is None
    assert center.provider().agent_feed([AgentRef(id="7")]) is None  # no login
    assert SpikonProvider(AccountConfig(base_url="http://x")).agent_feed(refs("a")) is None


def test_a_batch_holds_each_agents_latest_reading_in_the_order_they_changed() -> None:
    changes = AgentChanges()
    assert changes.take(0) == ()
    one = Agent(id="1", login="a", name="A", status=AgentStatus.IDLE, raw_status="Idle")
    two = Agent(id="2", login="b", name="B", status=AgentStatus.IDLE, raw_status="Idle")
    paused = Agent(id="1", login="a", name="A", status=AgentStatus.PAUSED, raw_status="Paused")
    for agent in (one, two, paused):
        changes.put(agent)
    assert changes.take(1.0) == (two, paused)
