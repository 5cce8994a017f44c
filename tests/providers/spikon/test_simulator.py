"""The SPIKON adapter against the SPIKON simulator over real HTTP agrees with the engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from providers.base import AgentRef, Capability
from providers.errors import (
    ProviderAuthError,
    ProviderNotFoundError,
    ProviderRefusedError,
    UnsupportedActionError,
)
from providers.model import AgentStatus, Endpoint, Snapshot
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from providers.spikon.adapter import SpikonProvider
from providers.spikon.simulator import SpikonSimulator
from tests.providers.spikon.recorded import config

VERSIONS = ["1.0.3", "1.3"]
FORMATS = ["json", "xml"]

#: What SPIKON can show of each engine status (no WRAP_UP, DIALING or ON_HOLD of its own).
SEEN_AS = {
    AgentStatus.WRAP_UP: AgentStatus.PAUSED,
    AgentStatus.DIALING: AgentStatus.TALKING,
    AgentStatus.ON_HOLD: AgentStatus.TALKING,
}


@dataclass
class Sim:
    engine: CallCenter
    clock: ManualClock
    simulator: SpikonSimulator
    server: SimulatorServer

    def provider(self, version: str, fmt: str, **options: str) -> SpikonProvider:
        return SpikonProvider(
            config(self.server.url, version=version, fmt=fmt, api_key="demo-key", **options)
        )


def start(version: str) -> Iterator[Sim]:
    clock = ManualClock(datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    engine = CallCenter(SimConfig(agents=10, queues=3, seed=5, calls_per_min_per_queue=6), clock)
    clock.advance(900)  # calls answered, abandoned and, with 6/min, callers waiting
    simulator = SpikonSimulator(engine, version=version)
    with SimulatorServer(simulator) as server:
        yield Sim(engine, clock, simulator, server)


@pytest.fixture(params=VERSIONS)
def sim(request: pytest.FixtureRequest) -> Iterator[Sim]:
    yield from start(request.param)


@pytest.fixture
def sim13() -> Iterator[Sim]:
    yield from start("1.3")


@pytest.fixture
def sim103() -> Iterator[Sim]:
    yield from start("1.0.3")


def fetch(sim: Sim, fmt: str = "json", **options: str) -> Snapshot:
    provider = sim.provider(sim.simulator.version, fmt, **options)
    try:
        return provider.fetch_snapshot()
    finally:
        provider.close()


def free_agents(engine: CallCenter, count: int) -> list[str]:
    """``count`` agents made idle now (their calls hung up); the clock does not move."""
    engine.sync()
    ids = list(engine.agents)[:count]
    for agent_id in ids:
        if engine.agents[agent_id].call_id is not None:
            engine.hangup_agent(agent_id)
        engine.set_status(agent_id, AgentStatus.IDLE)
    return ids


def listed_logins(engine: CallCenter) -> set[str]:
    """Agents a cc_monitor shows: logged in, and logged into at least one campaign."""
    with engine.locked() as cc:
        return {
            cc.agents[m.agent_id].login
            for m in cc.memberships.values()
            if m.logged_in and cc.agents[m.agent_id].logged_in
        }


@pytest.mark.parametrize("fmt", FORMATS)
def test_snapshot_agrees_with_the_engine(sim: Sim, fmt: str) -> None:
    truth = sim.engine.truth()
    snapshot = fetch(sim, fmt)
    assert not snapshot.failed, snapshot.errors
    assert truth.waiting_calls, "the scenario should have callers waiting"

    assert [q.id for q in snapshot.queues] == [q.id for q in truth.queues]
    for got, want in zip(snapshot.queues, truth.queues, strict=True):
        assert got.name == want.name
        for name in (
            "calls_waiting", "longest_wait_s", "agents_total", "agents_ready", "agents_busy",
            "agents_paused", "answered", "abandoned", "sl_threshold_s", "avg_wait_s",
            "avg_talk_s", "capacity",
        ):  # fmt: skip
            assert getattr(got, name) == getattr(want, name), (got.id, name)
        if want.service_level_pct is None:
            assert got.service_level_pct is None
        else:  # SPIKON's sla is a whole percentage
            assert got.service_level_pct == pytest.approx(want.service_level_pct, abs=0.5)

    by_login = {agent.login: agent for agent in truth.agents}
    listed = listed_logins(sim.engine)
    got_agents = {agent.id: agent for agent in snapshot.agents}
    assert listed <= set(got_agents)
    for login, agent in got_agents.items():
        expected = by_login[login]
        assert agent.name == expected.name
        if login in listed:
            assert agent.status is SEEN_AS.get(expected.status, expected.status), login
        else:  # only cc_agent/list (1.3) shows agents outside every campaign
            assert sim.simulator.version == "1.3"
            assert agent.status is AgentStatus.OFFLINE
    if sim.simulator.version == "1.3":
        assert set(got_agents) == set(by_login)

    assert [(w.queue_id, w.position, w.caller, w.wait_s) for w in snapshot.waiting_calls] == [
        (w.queue_id, w.position, w.caller, w.wait_s) for w in truth.waiting_calls
    ]


def test_memberships_on_1_3(sim13: Sim) -> None:
    truth = sim13.engine.truth()
    logins = {agent.id: agent.login for agent in truth.agents}
    snapshot = fetch(sim13)
    assert {(m.agent_id, m.queue_id, m.logged_in) for m in snapshot.memberships} == {
        (logins[m.agent_id], m.queue_id, m.logged_in) for m in truth.memberships
    }


def test_statuses_follow_the_engine(sim: Sim) -> None:
    ids = free_agents(sim.engine, 4)
    wanted = [AgentStatus.IDLE, AgentStatus.PAUSED, AgentStatus.UNAVAILABLE, AgentStatus.TALKING]
    for agent_id, status in zip(ids, wanted[:3], strict=False):
        sim.engine.set_status(agent_id, status)
    sim.engine.originate(ids[3], "226211245")
    sim.clock.advance(15)  # answered: TALKING
    truth = {a.login: a for a in sim.engine.truth().agents}
    for fmt in FORMATS:
        got = {a.id: a for a in fetch(sim, fmt).agents}
        for login in listed_logins(sim.engine):
            assert got[login].status is SEEN_AS.get(truth[login].status, truth[login].status)


def test_wrong_key_is_refused_as_auth_error(sim: Sim) -> None:
    for fmt in FORMATS:
        provider = SpikonProvider(
            config(sim.server.url, version=sim.simulator.version, fmt=fmt, api_key="wrong")
        )
        with pytest.raises(ProviderAuthError) as caught:
            provider.fetch_snapshot()
        assert caught.value.code == "-3"
        assert "wrong" not in str(caught.value)


@pytest.mark.parametrize("api_format", ["0", "1"])
def test_documented_error_replies(sim: Sim, api_format: str) -> None:
    url = f"{sim.server.url}/api/"
    cases = [
        ("cc_campaigns/list", {}, "-2"),
        ("cc_campaigns/list", {"api_key": "nope"}, "-3"),
        ("no_such/method", {"api_key": "demo-key"}, "-1"),
        ("cc_monitor/show", {"api_key": "demo-key"}, "-7"),
        ("cc_monitor/show", {"api_key": "demo-key", "cc_campaign_id": "999"}, "-8"),
    ]
    if sim.simulator.version == "1.0.3":
        cases.append(("cc_agent/list", {"api_key": "demo-key"}, "-1"))
    for method, form, error_id in cases:
        reply = httpx.post(url + method, data={"api_format": api_format, **form})
        assert reply.status_code == 200
        if api_format == "0":
            assert json.loads(reply.content)["errors"]["error"]["id"] == error_id
        else:
            assert f"<id>{error_id}</id>" in reply.text
    assert httpx.get(url + "cc_campaigns/list").status_code in (200, 405)


def test_monitor_json_places_waiting_calls_per_version(sim: Sim) -> None:
    reply = httpx.post(
        f"{sim.server.url}/api/cc_monitor/show",
        data={"api_key": "demo-key", "api_format": "0", "cc_campaign_id": "1"},
    ).json()
    if sim.simulator.version == "1.3":
        assert "waiting-calls" in reply["cc-monitor"]
        assert "waiting-calls" not in reply
    else:
        assert "waiting-calls" in reply
        assert "waiting-calls" not in reply["cc-monitor"]


def test_1_3_get_takes_the_key_in_a_header(sim: Sim) -> None:
    reply = httpx.get(
        f"{sim.server.url}/api/cc_campaigns/list", headers={"Spikon-API-Key": "demo-key"}
    )
    if sim.simulator.version == "1.3":
        assert "cc-campaigns" in reply.json()
    else:
        assert reply.status_code == 405


def test_capabilities_follow_the_version(sim: Sim) -> None:
    provider = sim.provider(sim.simulator.version, "json")
    editable = sim.simulator.version == "1.3"
    assert provider.supports(Capability.QUEUE_MEMBERSHIP_EDIT) is editable
    assert provider.supports(Capability.DEFAULT_CAMPAIGN) is editable
    assert provider.supports(Capability.CLICK_TO_CALL)
    assert SpikonProvider.capabilities_for({"api_version": sim.simulator.version}) == (
        provider.capabilities
    )
    if not editable:
        with pytest.raises(UnsupportedActionError):
            provider.add_to_queue(AgentRef(id="x"), "1")
        with pytest.raises(UnsupportedActionError):
            provider.set_default_campaign(AgentRef(id="x"), "1")


def test_a_1_3_account_on_a_1_0_3_server_loses_only_the_agent_list(sim103: Sim) -> None:
    provider = sim103.provider("1.3", "xml")
    snapshot = provider.fetch_snapshot()
    assert snapshot.failed == frozenset({Endpoint.AGENTS})
    assert "API version" in snapshot.errors[0]
    assert snapshot.queues
    assert all(q.calls_waiting is not None for q in snapshot.queues)


# -- actions: each one shows on the next fetch -------------------------------------------------


def _agent_outside(engine: CallCenter, queue_id: str) -> tuple[str, str]:
    with engine.locked() as cc:
        for agent in cc.agents.values():
            if agent.logged_in and queue_id not in agent.queue_ids:
                return agent.id, agent.login
    raise AssertionError("no logged-in agent outside the queue")


@pytest.mark.parametrize("fmt", FORMATS)
def test_add_and_remove_inbound(sim13: Sim, fmt: str) -> None:
    agent_id, login = _agent_outside(sim13.engine, "2")
    provider = sim13.provider("1.3", fmt)
    before = provider.fetch_snapshot()
    assert (login, "2") not in {(m.agent_id, m.queue_id) for m in before.memberships}

    provider.add_to_queue(AgentRef(id=login, login=login), "2")
    after = provider.fetch_snapshot()
    assert (login, "2") in {(m.agent_id, m.queue_id) for m in after.memberships}
    assert ("2" in sim13.engine.agents[agent_id].queue_ids) is True

    with pytest.raises(ProviderRefusedError):  # -10 Already exist
        provider.add_to_queue(AgentRef(id=login, login=login), "2")

    provider.remove_from_queue(AgentRef(id=login, login=login), "2")
    gone = provider.fetch_snapshot()
    assert (login, "2") not in {(m.agent_id, m.queue_id) for m in gone.memberships}

    with pytest.raises(ProviderNotFoundError):  # -8: not a member any more
        provider.remove_from_queue(AgentRef(id=login, login=login), "2")
    with pytest.raises(ProviderNotFoundError):
        provider.add_to_queue(AgentRef(id="nobody", login="nobody"), "2")
    provider.close()


def test_outbound_membership_and_default_campaign(sim13: Sim) -> None:
    agent_id, login = _agent_outside(sim13.engine, "3")
    agent = AgentRef(id=login, login=login)
    provider = sim13.provider("1.3", "xml", outbound_campaigns="3")

    with pytest.raises(ProviderRefusedError):  # -6: not in that outbound campaign yet
        provider.set_default_campaign(agent, "3")

    provider.add_to_queue(agent, "3")
    assert sim13.simulator.outbound_campaigns(agent_id) == (("3",), None)
    assert "3" not in sim13.engine.agents[agent_id].queue_ids  # not the inbound list
    snapshot = provider.fetch_snapshot()
    assert (login, "3") in {(m.agent_id, m.queue_id) for m in snapshot.memberships}

    provider.set_default_campaign(agent, "3")
    assert sim13.simulator.outbound_campaigns(agent_id) == (("3",), "3")

    provider.remove_from_queue(agent, "3")
    assert sim13.simulator.outbound_campaigns(agent_id) == ((), None)
    provider.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_originate_makes_the_agent_busy(sim: Sim, fmt: str) -> None:
    (agent_id,) = free_agents(sim.engine, 1)
    login = sim.engine.agents[agent_id].login
    provider = sim.provider(sim.simulator.version, fmt)
    provider.originate(AgentRef(id=login, login=login), "226211245")
    assert sim.engine.agents[agent_id].status is AgentStatus.DIALING
    snapshot = provider.fetch_snapshot()
    statuses = {a.id: a.status for a in snapshot.agents}
    if login in listed_logins(sim.engine):
        assert statuses[login] is AgentStatus.TALKING  # "Zajęty"
    with pytest.raises(ProviderRefusedError):  # -11: already on a call
        provider.originate(AgentRef(id=login, login=login), "226211246")
    with pytest.raises(ProviderRefusedError):
        provider.originate(AgentRef(id=login, login=login), "1" * 26)
    provider.close()
