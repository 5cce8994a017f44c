"""An XML account against the Daktela simulator over real HTTP: the snapshot agrees with the
engine's truth and with what the same account reads in JSON; actions work in XML."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from providers.base import AccountConfig, AgentRef
from providers.daktela.adapter import DaktelaProvider
from providers.errors import ProviderRefusedError
from providers.model import AgentStatus, Snapshot
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from providers.simulators import SIMULATORS, start_simulator

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def running() -> Iterator[tuple[SimulatorServer, CallCenter, ManualClock]]:
    clock = ManualClock(START)
    server, engine = start_simulator(
        "daktela", SimConfig(agents=16, queues=3, seed=11, calls_per_min_per_queue=3), clock=clock
    )
    clock.advance(180)  # calls arrive, ring, are talked, wait; agents pause
    try:
        yield server, engine, clock
    finally:
        server.stop()


def provider_for(
    server: SimulatorServer, engine: CallCenter, clock: ManualClock, fmt: str
) -> DaktelaProvider:
    settings = SIMULATORS["daktela"].account_settings(engine)
    config = AccountConfig(
        base_url=server.url,
        secrets={"password": settings["password"]},
        options={"login": settings["login"], "format": fmt},
        time_zone=engine.config.time_zone,
    )
    return DaktelaProvider(config, clock=clock.now)


def _without_extras(snapshot: Snapshot) -> Snapshot:
    """Truth carries fields Daktela has no source for (DESIGN §3); blank them."""
    return replace(
        snapshot,
        queues=tuple(
            replace(
                q,
                answered=None,
                abandoned=None,
                service_level_pct=None,
                sl_threshold_s=None,
                avg_wait_s=None,
                avg_talk_s=None,
                capacity=None,
            )
            for q in snapshot.queues
        ),
    )


def test_xml_snapshot_agrees_with_the_truth_and_with_json(
    running: tuple[SimulatorServer, CallCenter, ManualClock],
) -> None:
    server, engine, clock = running
    idle = next(a for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    engine.set_device(idle.id, False)  # UNAVAILABLE: only DeviceStates tells
    xml = provider_for(server, engine, clock, "xml")
    from_xml = xml.fetch_snapshot()
    from_json = provider_for(server, engine, clock, "json").fetch_snapshot()
    truth = engine.truth()
    assert not from_xml.failed, from_xml.errors
    assert from_xml == from_json

    # Queues: ids, numbers, names and every counter Daktela has.
    expected_queues = {q.id: q for q in _without_extras(truth).queues}
    assert {q.id: q for q in from_xml.queues} == expected_queues

    # Agents: every logged-in agent, with status (WRAP_UP and UNAVAILABLE included),
    # since, pause reason and extension.
    on_duty = {a.id: a for a in truth.agents if a.status is not AgentStatus.OFFLINE}
    seen = {a.id: a for a in from_xml.agents}
    assert set(seen) == set(on_duty)
    statuses = {a.status for a in seen.values()}
    assert {AgentStatus.TALKING, AgentStatus.WRAP_UP, AgentStatus.UNAVAILABLE} <= statuses
    assert from_xml.waiting_calls
    assert from_xml.active_calls
    for agent_id, agent in seen.items():
        true = on_duty[agent_id]
        assert (agent.login, agent.name, agent.extension, agent.status) == (
            true.login,
            true.name,
            true.extension,
            true.status,
        ), agent_id
        assert agent.status_since == true.status_since, agent_id
        if agent.status in (AgentStatus.PAUSED, AgentStatus.WRAP_UP):
            assert (agent.pause_reason_id, agent.pause_reason) == (
                true.pause_reason_id,
                true.pause_reason,
            )

    # Waiting and active calls.
    assert [
        (w.queue_id, w.position, w.caller, w.wait_s, w.call_id) for w in from_xml.waiting_calls
    ] == [(w.queue_id, w.position, w.caller, w.wait_s, w.call_id) for w in truth.waiting_calls]
    assert [(c.call_id, c.agent_id, c.queue_id, c.state) for c in from_xml.active_calls] == [
        (c.call_id, c.agent_id, c.queue_id, c.state) for c in truth.active_calls
    ]

    # Memberships of logged-in agents, and the pause list.
    assert {(m.agent_id, m.queue_id, m.penalty, m.logged_in) for m in from_xml.memberships} == {
        (m.agent_id, m.queue_id, m.penalty, m.logged_in)
        for m in truth.memberships
        if m.agent_id in on_duty
    }
    assert from_xml.pause_reasons == truth.pause_reasons


def test_actions_in_xml_change_the_simulator(
    running: tuple[SimulatorServer, CallCenter, ManualClock],
) -> None:
    server, engine, clock = running
    provider = provider_for(server, engine, clock, "xml")
    provider.fetch_snapshot()
    idle = next(a for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    ref = AgentRef(id=idle.id, login=idle.login, extension=idle.extension)
    pause = next(p for p in engine.truth().pause_reasons if p.type.value == "normal")
    provider.pause(ref, pause.id)
    assert engine.agents[idle.id].status is AgentStatus.PAUSED
    state = provider.user_state(ref)
    assert state.agents[0].status is AgentStatus.PAUSED
    assert state.hash
    assert len(state.hash) == 40
    provider.unpause(ref)
    assert engine.agents[idle.id].status is AgentStatus.IDLE
    queue_id = next(iter(engine.agents[idle.id].queue_ids))
    talking = next(a for a in engine.truth().agents if a.status is AgentStatus.TALKING)
    call = engine.calls[engine.agents[talking.id].call_id or ""]
    with pytest.raises(ProviderRefusedError):  # LogoutQueue during a call in that queue
        provider.remove_from_queue(
            AgentRef(id=talking.id, login=talking.login), call.queue_id or ""
        )
    provider.remove_from_queue(ref, queue_id)
    assert not engine.memberships[(idle.id, queue_id)].logged_in
    provider.add_to_queue(ref, queue_id, penalty=2)
    assert engine.memberships[(idle.id, queue_id)].logged_in
