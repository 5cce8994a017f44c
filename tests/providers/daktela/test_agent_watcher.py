"""AgentWatcher against the Daktela simulator over real HTTP (RTUserState long-poll capped at
2 s here): changes arrive well before the cap, errors are reported, never raised."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from providers.base import AccountConfig
from providers.daktela.adapter import DaktelaProvider
from providers.daktela.simulator import DaktelaSimulator
from providers.daktela.watch import MAX_AGENTS, AgentWatcher
from providers.errors import ProviderAuthError, ProviderError, UnsupportedActionError
from providers.model import Agent, AgentStatus
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
LONG_POLL_CAP_S = 2.0


@dataclass
class Seen:
    """What the callbacks received, with when."""

    changes: list[tuple[float, Agent]] = field(default_factory=list)
    errors: list[tuple[str | None, Exception]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Event = field(default_factory=threading.Event)

    def on_change(self, agent: Agent) -> None:
        with self.lock:
            self.changes.append((time.monotonic(), agent))
        self.arrived.set()

    def on_error(self, login: str | None, error: Exception) -> None:
        with self.lock:
            self.errors.append((login, error))

    def wait_for(self, test: Callable[[], bool], timeout_s: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if test():
                    return True
            time.sleep(0.01)
        return False


@dataclass
class Center:
    engine: CallCenter
    server: SimulatorServer

    def provider(self, **options: str) -> DaktelaProvider:
        config = AccountConfig(
            base_url=self.server.url,
            secrets={"password": options.pop("password", "demo")},
            options={"login": "demo", "instant_agents": "yes", **options},
            time_zone=self.engine.config.time_zone,
        )
        return DaktelaProvider(config)

    def ready(self, agent_id: str) -> str:
        self.engine.login(agent_id)
        self.engine.login_queue(agent_id, "1")
        self.engine.set_status(agent_id, AgentStatus.IDLE)
        return self.engine.agents[agent_id].login


def make_center(long_poll_s: float = LONG_POLL_CAP_S) -> Iterator[Center]:
    engine = CallCenter(
        SimConfig(
            agents=6, queues=2, calls_per_min_per_queue=0, pause_rate_per_hour=0, patience_s=10_000
        ),
        ManualClock(START),
    )
    app = DaktelaSimulator(engine, long_poll_s=long_poll_s, long_poll_slice_s=0.05)
    with SimulatorServer(app) as server:
        yield Center(engine, server)


@pytest.fixture
def center() -> Iterator[Center]:
    yield from make_center()


@pytest.fixture
def watching() -> Iterator[list[AgentWatcher]]:
    """Watchers a test starts; stopped (and checked to end) afterwards."""
    watchers: list[AgentWatcher] = []
    yield watchers
    for watcher in watchers:
        assert watcher.stop(timeout_s=LONG_POLL_CAP_S + 3)


def start(
    watching: list[AgentWatcher],
    provider: DaktelaProvider,
    logins: list[str],
    seen: Seen,
    **kw: float,
) -> AgentWatcher:
    watcher = AgentWatcher(
        provider,
        logins,
        seen.on_change,
        on_error=seen.on_error,
        **kw,  # type: ignore[arg-type]
    )
    watching.append(watcher)
    return watcher.start()


def test_a_change_reaches_the_callback_well_before_the_long_poll_cap(
    center: Center, watching: list[AgentWatcher]
) -> None:
    logins = [center.ready("1"), center.ready("2")]
    seen = Seen()
    watcher = start(watching, center.provider(), logins, seen)
    assert seen.wait_for(lambda: len(watcher.agents) == 2)
    time.sleep(0.3)  # both long-polls are now held at the simulator
    assert seen.changes == []  # the first reading is the baseline

    began = time.monotonic()
    center.engine.pause("1", "6")
    assert seen.arrived.wait(LONG_POLL_CAP_S)
    [(arrived_at, agent)] = seen.changes
    assert arrived_at - began < 0.5 * LONG_POLL_CAP_S
    assert (agent.login, agent.status, agent.pause_reason) == (
        logins[0],
        AgentStatus.PAUSED,
        "Break",
    )
    assert watcher.agents[logins[0]] == agent
    assert watcher.change_count == 1
    assert seen.errors == []


def test_wrap_up_and_the_agent_equal_to_the_polled_one(
    center: Center, watching: list[AgentWatcher]
) -> None:
    login = center.ready("3")
    seen = Seen()
    provider = center.provider()
    watcher = start(watching, provider, [login], seen)
    assert seen.wait_for(lambda: login in watcher.agents)
    center.engine.pause("3", "2")  # the wrap pause
    assert seen.arrived.wait(LONG_POLL_CAP_S)
    [(_at, agent)] = seen.changes
    assert agent.status is AgentStatus.WRAP_UP  # GetPauses was read: wrap is told from a break
    polled = {a.login: a for a in provider.fetch_snapshot().agents}
    assert agent == polled[login]


def test_several_changes_in_a_row_each_arrive(center: Center, watching: list[AgentWatcher]) -> None:
    login = center.ready("1")
    seen = Seen()
    watcher = start(watching, center.provider(), [login], seen)
    assert seen.wait_for(lambda: login in watcher.agents)
    for pause_id in ("6", None, "7", None):
        count = len(seen.changes)
        if pause_id:
            center.engine.pause("1", pause_id)
        else:
            center.engine.unpause("1")
        assert seen.wait_for(lambda n=count: len(seen.changes) == n + 1, LONG_POLL_CAP_S)  # type: ignore[misc]
    assert [a.status for _at, a in seen.changes] == [
        AgentStatus.PAUSED,
        AgentStatus.IDLE,
        AgentStatus.PAUSED,
        AgentStatus.IDLE,
    ]


def test_no_callback_after_stop_and_threads_end_within_the_cap(
    center: Center, watching: list[AgentWatcher]
) -> None:
    login = center.ready("1")
    seen = Seen()
    watcher = AgentWatcher(center.provider(), [login], seen.on_change).start()
    assert seen.wait_for(lambda: login in watcher.agents)
    assert watcher.running
    assert not watcher.stop()  # its long-poll is still held at Daktela
    center.engine.pause("1", "6")
    began = time.monotonic()
    assert watcher.stop(timeout_s=LONG_POLL_CAP_S + 2)
    assert time.monotonic() - began < LONG_POLL_CAP_S + 1
    assert seen.changes == []
    assert not watcher.running


def test_a_callback_may_stop_the_watcher(center: Center) -> None:
    login = center.ready("1")
    received: list[Agent] = []
    holder: list[AgentWatcher] = []

    def stop_on_first(agent: Agent) -> None:
        received.append(agent)
        holder[0].stop()

    watcher = AgentWatcher(center.provider(), [login], stop_on_first)
    holder.append(watcher.start())
    seen = Seen()
    assert seen.wait_for(lambda: login in watcher.agents)
    center.engine.pause("1", "6")
    assert seen.wait_for(lambda: not watcher.running, LONG_POLL_CAP_S)
    center.engine.unpause("1")
    time.sleep(0.2)
    assert [a.status for a in received] == [AgentStatus.PAUSED]


def test_errors_are_reported_counted_and_recovered_from(
    center: Center, watching: list[AgentWatcher]
) -> None:
    center.engine.logout("4")  # not logged in: RTUserState answers with an error
    login = center.engine.agents["4"].login
    seen = Seen()
    watcher = start(watching, center.provider(), [login, "nobody"], seen, retry_s=0.05)
    assert seen.wait_for(lambda: {who for who, _err in seen.errors} == {login, "nobody"})
    assert all(isinstance(err, ProviderError) for _who, err in seen.errors)
    assert watcher.error_count >= 2
    assert set(watcher.last_errors) == {login, "nobody"}
    center.ready("4")
    assert seen.wait_for(lambda: login in watcher.agents)
    assert login not in watcher.last_errors  # recovered
    assert watcher.agents[login].status is AgentStatus.IDLE
    assert "nobody" in watcher.last_errors  # still failing, still retried, nothing raised


def test_wrong_credentials_are_reported_not_raised(
    center: Center, watching: list[AgentWatcher]
) -> None:
    seen = Seen()
    watcher = start(
        watching, center.provider(password="wrong"), [center.ready("1")], seen, retry_s=0.05
    )
    assert seen.wait_for(lambda: len(seen.errors) >= 3)  # retried with back-off
    assert any(isinstance(err, ProviderAuthError) for _who, err in seen.errors)
    assert None in watcher.last_errors  # GetPauses failed too
    assert watcher.running


def test_a_failing_callback_does_not_end_the_watch(
    center: Center, watching: list[AgentWatcher]
) -> None:
    login = center.ready("1")
    received: list[Agent] = []

    def fragile(agent: Agent) -> None:
        received.append(agent)
        if len(received) == 1:
            raise RuntimeError("a bug in the caller")

    watcher = AgentWatcher(center.provider(), [login], fragile)
    watching.append(watcher.start())
    seen = Seen()
    assert seen.wait_for(lambda: login in watcher.agents)
    center.engine.pause("1", "6")
    assert seen.wait_for(lambda: len(received) == 1)
    center.engine.unpause("1")
    assert seen.wait_for(lambda: len(received) == 2)
    assert watcher.error_count == 1
    assert received[-1].status is AgentStatus.IDLE


def test_a_server_that_does_not_hold_requests_is_not_hammered(
    watching: list[AgentWatcher],
) -> None:
    for center in make_center(long_poll_s=0):  # answers at once, hash unchanged
        login = center.ready("1")
        seen = Seen()
        start(watching, center.provider(), [login], seen, min_interval_s=0.25)
        time.sleep(1.0)
        asked = sum(
            count for path, count in center.server.request_counts.items() if "RTUserState" in path
        )
        assert 2 <= asked <= 6  # ≈ 1 s / 0.25 s, not hundreds
        watching.pop().stop()


def test_bounds_and_the_account_option(center: Center) -> None:
    provider = center.provider()
    with pytest.raises(ValueError, match="at most"):
        AgentWatcher(provider, [f"agent{i}" for i in range(11)], print, max_agents=10)
    with pytest.raises(ValueError, match="max_agents"):
        AgentWatcher(provider, ["a"], print, max_agents=MAX_AGENTS + 1)
    watcher = provider.watch_agents([" a ", "a", "", "b"], print)
    assert watcher.logins == ("a", "b")
    assert not watcher.running
    with pytest.raises(UnsupportedActionError, match="instant_agents"):
        center.provider(instant_agents="no").watch_agents(["a"], print)
    with pytest.raises(UnsupportedActionError, match=r"version 4\.0"):
        center.provider(api_version="3.9").watch_agents(["a"], print)
    # Unset, it is on (ADR 019).
    assert DaktelaProvider(AccountConfig(base_url="http://x")).instant_agents
