"""Each simulator's ``SimulatorSpec`` says what its vendor's adapter reports of the engine:
the ids of agents and queues, and an agent's status and pause reason. Checked against the
real adapter reading the real simulator over HTTP, for every status an agent can be in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from providers.base import AccountConfig, Provider
from providers.model import AgentStatus
from providers.registry import provider_class, split_settings
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.simulators import SIMULATORS, start_simulator

AGENT = "1"


def _idle(engine: CallCenter) -> None:
    engine.set_status(AGENT, AgentStatus.IDLE)


def _paused(engine: CallCenter) -> None:
    engine.set_status(AGENT, AgentStatus.PAUSED, "7")  # Lunch


def _wrap_up(engine: CallCenter) -> None:
    engine.set_status(AGENT, AgentStatus.WRAP_UP)


def _offline(engine: CallCenter) -> None:
    engine.set_status(AGENT, AgentStatus.OFFLINE)


def _unavailable(engine: CallCenter) -> None:
    engine.set_device(AGENT, False)


def _ringing(engine: CallCenter, clock: ManualClock) -> None:
    _idle(engine)
    engine.add_waiting_call(next(iter(engine.agents[AGENT].queue_ids)), "226211245")
    clock.advance(1)


def _talking(engine: CallCenter, clock: ManualClock) -> None:
    _ringing(engine, clock)
    clock.advance(engine.config.ring_s)


def _on_hold(engine: CallCenter, clock: ManualClock) -> None:
    _talking(engine, clock)
    engine.hold(AGENT)


def _dialling(engine: CallCenter) -> None:
    _idle(engine)
    engine.originate(AGENT, "226211245")


SCENARIOS: dict[AgentStatus, Callable[[CallCenter, ManualClock], None]] = {
    AgentStatus.IDLE: lambda engine, clock: _idle(engine),
    AgentStatus.PAUSED: lambda engine, clock: _paused(engine),
    AgentStatus.WRAP_UP: lambda engine, clock: _wrap_up(engine),
    AgentStatus.OFFLINE: lambda engine, clock: _offline(engine),
    AgentStatus.UNAVAILABLE: lambda engine, clock: _unavailable(engine),
    AgentStatus.RINGING: _ringing,
    AgentStatus.TALKING: _talking,
    AgentStatus.ON_HOLD: _on_hold,
    AgentStatus.DIALING: lambda engine, clock: _dialling(engine),
}


@pytest.fixture(params=sorted(SIMULATORS))
def vendor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def rig(vendor: str) -> Iterator[tuple[CallCenter, ManualClock, Provider]]:
    clock = ManualClock(datetime(2026, 3, 10, 8, tzinfo=UTC))
    quiet = SimConfig(agents=6, queues=2, seed=3, calls_per_min_per_queue=0, pause_rate_per_hour=0)
    server, engine = start_simulator(vendor, quiet, clock=clock)
    options, secrets = split_settings(vendor, SIMULATORS[vendor].account_settings(engine))
    config = AccountConfig(base_url=server.url, options=options, secrets=secrets)
    provider = provider_class(vendor)(config, clock=clock.now)
    for other in engine.agents:
        if other != AGENT:
            engine.set_status(other, AgentStatus.PAUSED)  # agent 1 takes every call
    try:
        yield engine, clock, provider
    finally:
        provider.close()
        server.stop()


@pytest.mark.parametrize("status", list(SCENARIOS))
def test_the_spec_says_what_the_adapter_reports_of_an_agent(
    vendor: str, rig: tuple[CallCenter, ManualClock, Provider], status: AgentStatus
) -> None:
    engine, clock, provider = rig
    spec = SIMULATORS[vendor]
    SCENARIOS[status](engine, clock)
    engine.sync()
    agent = engine.agents[AGENT]
    assert agent.status is status, "the scenario put the agent in that status"
    pause = engine.pauses.get(agent.pause_id or "")

    snapshot = provider.fetch_snapshot()

    reported = {a.id: (a.status, a.pause_reason) for a in snapshot.agents}
    # A vendor that lists only agents with a session reports an offline agent by omission.
    seen = reported.get(spec.agent_id(agent), (AgentStatus.OFFLINE, None))
    assert seen == spec.agent_view(status, pause.title if pause else None)


def test_the_spec_names_queues_as_the_adapter_does(
    vendor: str, rig: tuple[CallCenter, ManualClock, Provider]
) -> None:
    engine, _, provider = rig
    spec = SIMULATORS[vendor]
    queues = {q.id for q in provider.fetch_snapshot().queues}
    assert queues == {spec.queue_id(q) for q in engine.queues.values()}
