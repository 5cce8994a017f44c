"""Vendor feeds beside the poll (ADR 019), against the Daktela simulator over real HTTP (its
RTUserState long-poll capped at 2 s): a change arrives without a poll, through the poll's
diff → store → hook; a poll of the same state writes nothing twice; a dead feed falls back
to polling; two watchers never run one account's feed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from providers.base import AgentRef
from providers.daktela.adapter import DaktelaProvider
from providers.daktela.simulator import DaktelaSimulator
from providers.model import AgentStatus
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from wallboard.monitoring.feeds import FeedSupervisor, apply_agent_changes, claim_feeds
from wallboard.monitoring.hooks import Committed
from wallboard.monitoring.models import Agent, AgentStatusSpan, ProviderAccount
from wallboard.monitoring.poll import poll_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@dataclass
class Heard:
    """What the hook was handed (from the feed's threads and the test's polls)."""

    events: list[Committed] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: Committed) -> None:
        with self.lock:
            self.events.append(event)

    def by(self, source: str) -> list[Committed]:
        with self.lock:
            return [e for e in self.events if e.source == source]


def eventually(test: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if test():
            return True
        time.sleep(0.02)
    return False


@dataclass
class Center:
    engine: CallCenter
    clock: ManualClock
    server: SimulatorServer
    account: ProviderAccount
    heard: Heard

    def poll(self) -> int:
        result = poll_once(self.account, on_commit=self.heard)
        assert result.ok, result.error
        return result.changes

    def agent(self, engine_id: str) -> Agent:
        return Agent.objects.get(account=self.account, vendor_id=engine_id)

    def status(self, engine_id: str) -> str:
        return self.agent(engine_id).status

    def refreshed(self) -> ProviderAccount:
        self.account.refresh_from_db()
        return self.account


@pytest.fixture
def center() -> Iterator[Center]:
    clock = ManualClock(START)
    engine = CallCenter(
        SimConfig(
            agents=4, queues=2, calls_per_min_per_queue=0, pause_rate_per_hour=0, patience_s=10_000
        ),
        clock,
    )
    for agent_id in engine.agents:
        engine.login(agent_id)
        engine.login_queue(agent_id, "1")
        engine.set_status(agent_id, AgentStatus.IDLE)
    app = DaktelaSimulator(engine, long_poll_s=2.0, long_poll_slice_s=0.05)
    with SimulatorServer(app) as server:
        account = ProviderAccount.objects.create(
            name="Daktela",
            vendor="daktela",
            base_url=server.url,
            options={"login": "demo"},  # instant_agents unset: on by default
            secrets={"password": "demo"},
            time_zone=engine.config.time_zone,
        )
        center = Center(engine, clock, server, account, Heard())
        clock.advance(60)
        center.poll()
        yield center


@pytest.fixture
def supervisors(center: Center) -> Iterator[list[FeedSupervisor]]:
    made: list[FeedSupervisor] = []
    yield made
    for supervisor in made:
        supervisor.stop()


def watching(center: Center, supervisors: list[FeedSupervisor]) -> FeedSupervisor:
    """A supervisor holding the account's feed, once the feed delivers."""
    supervisor = FeedSupervisor(on_commit=center.heard)
    supervisors.append(supervisor)
    assert supervisor.tick() == {center.account.pk}
    assert eventually(lambda: center.refreshed().feed_live)
    return supervisor


def test_a_change_arrives_without_a_poll(center: Center, supervisors: list[FeedSupervisor]) -> None:
    watching(center, supervisors)
    seq = center.refreshed().seq
    spans = AgentStatusSpan.objects.filter(agent=center.agent("1")).count()
    polls = len(center.heard.by("poll"))

    center.clock.advance(30)
    center.engine.pause("1", "6")
    assert eventually(lambda: center.status("1") == "PAUSED")

    assert len(center.heard.by("poll")) == polls  # no poll ran: the feed stored it
    [fed] = [e for e in center.heard.by("feed") if e.changes is not None]
    assert fed.changes is not None
    assert [a.vendor_id for a in fed.changes.agents] == ["1"]
    assert fed.seq == seq + 1 == center.refreshed().seq
    agent = center.agent("1")
    assert agent.pause_reason == "Break"
    # A status span, as a poll writes: the open one is the pause, the one before it ended.
    assert AgentStatusSpan.objects.filter(agent=agent).count() == spans + 1
    latest = AgentStatusSpan.objects.filter(agent=agent).latest("started_at")
    assert (latest.status, latest.ended_at) == ("PAUSED", None)


def test_a_feed_change_and_a_poll_of_the_same_state_write_nothing_twice(
    center: Center, supervisors: list[FeedSupervisor]
) -> None:
    watching(center, supervisors)
    center.clock.advance(30)
    center.engine.pause("2", "6")
    assert eventually(lambda: center.status("2") == "PAUSED")
    spans = AgentStatusSpan.objects.count()

    center.poll()  # the same state, read by the poll
    [polled] = center.heard.by("poll")[-1:]
    assert polled.changes is None or polled.changes.agents == []
    assert AgentStatusSpan.objects.count() == spans

    # And the other way round: what a poll stored first, a feed's reading leaves alone.
    supervisors.pop().stop()
    center.clock.advance(30)
    center.engine.unpause("2")
    center.poll()
    assert center.status("2") == "IDLE"
    seq, spans = center.refreshed().seq, AgentStatusSpan.objects.count()
    provider = DaktelaProvider(center.account.config())
    reading = provider.user_state(AgentRef(id="2", login=center.agent("2").login)).agents
    provider.close()
    assert apply_agent_changes(center.account.pk, reading, on_commit=center.heard) == 0
    assert (center.refreshed().seq, AgentStatusSpan.objects.count()) == (seq, spans)


def test_a_failing_feed_falls_back_to_polling(
    center: Center, supervisors: list[FeedSupervisor]
) -> None:
    watching(center, supervisors)
    # Every watched agent logs out: RTUserState answers each with an error.
    for agent_id in center.engine.agents:
        center.engine.logout(agent_id)
    assert eventually(lambda: not center.refreshed().feed_live)
    assert center.heard.by("feed")[-1].status_changed  # the board is told: "polling"

    center.clock.advance(30)
    center.engine.login("3")
    center.engine.set_status("3", AgentStatus.IDLE)
    center.poll()  # the poll carries the agents again
    assert center.status("3") == "IDLE"
    assert center.status("1") == "OFFLINE"


def test_a_dead_watcher_falls_back_to_polling_then_is_replaced(
    center: Center, supervisors: list[FeedSupervisor]
) -> None:
    dead = watching(center, supervisors)
    # The process dies: nothing renews its lease or says the feed is down.
    for runner in [r for _, r in dead.runners.values() if r is not None]:
        runner.stop(release=False)
    dead.runners.clear()
    supervisors.remove(dead)
    assert center.refreshed().feed_live
    ProviderAccount.objects.filter(pk=center.account.pk).update(
        feed_lease_until=timezone.now() - timedelta(seconds=1)
    )

    center.clock.advance(30)
    center.engine.pause("4", "6")
    center.poll()  # the next poll sees the lease ran out: the board says "polling"
    account = center.refreshed()
    assert not account.feed_live
    assert center.heard.by("poll")[-1].status_changed
    assert center.status("4") == "PAUSED"

    successor = watching(center, supervisors)
    assert center.refreshed().feed_owner == successor.owner


def test_two_watchers_do_not_double_up(center: Center, supervisors: list[FeedSupervisor]) -> None:
    first = watching(center, supervisors)
    second = FeedSupervisor(on_commit=center.heard)
    supervisors.append(second)
    assert second.tick() == set()
    assert second.runners == {}
    assert first.tick() == {center.account.pk}  # renewed, kept
    assert second.tick() == set()

    # Only once the first one's lease has run out (it stopped renewing) does the second
    # take the account; the first then drops its feed at its next tick.
    later = timezone.now() + timedelta(minutes=5)
    assert second.tick(later) == {center.account.pk}
    assert first.tick(later) == set()
    assert first.runners == {}
    assert claim_feeds("someone else", later) == set()
    assert ProviderAccount.objects.get(pk=center.account.pk).feed_owner == second.owner


def test_a_new_agent_rebuilds_the_feed_without_saying_polling(
    center: Center, supervisors: list[FeedSupervisor]
) -> None:
    supervisor = watching(center, supervisors)
    [(plan, before)] = supervisor.runners.values()
    events = len(center.heard.by("feed"))

    # A poll found a new agent.
    Agent.objects.create(account=center.account, vendor_id="99", login="newcomer", name="New")
    supervisor.tick()

    [(rebuilt, after)] = supervisor.runners.values()
    assert after is not before
    assert "newcomer" in rebuilt.logins
    assert "newcomer" not in plan.logins
    assert center.refreshed().feed_live
    assert len(center.heard.by("feed")) == events  # no "polling" pushed in between
