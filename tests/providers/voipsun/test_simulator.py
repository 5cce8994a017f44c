"""The VoIPSUN adapter against the VoIPSUN simulator over real HTTP (port 0).

What the adapter reads must agree with the engine's ground truth (``engine.truth()``), and
every action must show in the engine and on the next fetch.
"""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from providers.base import AccountConfig, AgentRef, ListenMode
from providers.errors import ProviderAuthError, ProviderNotFoundError, ProviderRefusedError
from providers.model import Agent, AgentStatus, Endpoint, Snapshot
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from providers.voipsun.adapter import VoipsunProvider
from providers.voipsun.simulator import VoipsunSimulator, account_settings, queue_names

START = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


@dataclass
class Rig:
    engine: CallCenter
    clock: ManualClock
    server: SimulatorServer
    provider: VoipsunProvider

    def fetch(self) -> Snapshot:
        return self.provider.fetch_snapshot()

    def ref(self, agent_id: str) -> AgentRef:
        agent = self.engine.agents[agent_id]
        return AgentRef(
            id=agent.login, extension=agent.extension, number=agent.number, pin=agent.pin
        )


@contextlib.contextmanager
def _rig(
    config: SimConfig,
    *,
    password: str = "demo",  # noqa: S107 - the simulator's documented password
    queues: str | None = None,
) -> Iterator[Rig]:
    clock = ManualClock(START)
    engine = CallCenter(config, clock)
    server = SimulatorServer(VoipsunSimulator(engine)).start()
    settings = account_settings(engine, password=password)
    provider = VoipsunProvider(
        AccountConfig(
            base_url=server.url,
            secrets={key: settings[key] for key in ("username", "password", "agents")},
            options={"queues": queues if queues is not None else settings["queues"]},
        ),
        clock=clock.now,
    )
    try:
        yield Rig(engine, clock, server, provider)
    finally:
        provider.close()
        server.stop()


@pytest.fixture
def busy_rig() -> Iterator[Rig]:
    with _rig(SimConfig(agents=16, queues=3, seed=11, calls_per_min_per_queue=6.0)) as rig:
        yield rig


@pytest.fixture
def quiet_rig() -> Iterator[Rig]:
    config = SimConfig(agents=6, queues=2, seed=3, calls_per_min_per_queue=0, pause_rate_per_hour=0)
    with _rig(config) as rig:
        yield rig


def _seen_as(agent: Agent, truth: Snapshot) -> AgentStatus:
    """What VoIPSUN can show of an agent's true status.

    No wrap-up state: wrap-up is a pause. An agent in none of the queues is seen only through
    ``agentstatus``, which tells logged in/out and the line, not a pause.
    """
    in_a_queue = any(m.agent_id == agent.id and m.logged_in for m in truth.memberships)
    if agent.status in (AgentStatus.PAUSED, AgentStatus.WRAP_UP):
        return AgentStatus.PAUSED if in_a_queue else AgentStatus.LOGGED_IN
    return agent.status


def _by_login(truth: Snapshot) -> dict[str, str]:
    return {agent.id: agent.login for agent in truth.agents}


def _assert_agrees(rig: Rig) -> Snapshot:
    snapshot = rig.fetch()
    truth = rig.engine.truth()
    assert not snapshot.failed, snapshot.errors
    login = _by_login(truth)

    ours = {q.id: q for q in snapshot.queues}
    assert set(ours) == {f"Fronta{q.id}" for q in truth.queues}
    for expected in truth.queues:
        queue = ours[f"Fronta{expected.id}"]
        for name in (
            "calls_waiting",
            "longest_wait_s",
            "agents_total",
            "agents_ready",
            "agents_busy",
            "agents_paused",
            "answered",
            "abandoned",
            "capacity",
            "sl_threshold_s",
        ):
            assert getattr(queue, name) == getattr(expected, name), (queue.id, name)
        for name in ("service_level_pct", "avg_wait_s", "avg_talk_s"):
            if getattr(expected, name) is not None:
                assert getattr(queue, name) == getattr(expected, name), (queue.id, name)

    statuses = {a.id: a.status for a in snapshot.agents}
    expected_statuses = {login[a.id]: _seen_as(a, truth) for a in truth.agents}
    assert statuses == expected_statuses

    assert sorted((w.queue_id, w.position, w.caller, w.wait_s) for w in snapshot.waiting_calls) == (
        sorted((f"Fronta{w.queue_id}", w.position, w.caller, w.wait_s) for w in truth.waiting_calls)
    )
    assert sorted((c.agent_id or "", c.state, c.number) for c in snapshot.active_calls) == (
        sorted((login[c.agent_id or ""], c.state, c.number) for c in truth.active_calls)
    )
    truth_members = {
        (login[m.agent_id], f"Fronta{m.queue_id}", m.penalty, m.static)
        for m in truth.memberships
        if m.logged_in
    }
    assert {(m.agent_id, m.queue_id, m.penalty, m.static) for m in snapshot.memberships} == (
        truth_members
    )
    return snapshot


def test_adapter_agrees_with_the_truth_over_time(busy_rig: Rig) -> None:
    assert queue_names(busy_rig.engine) == ["Fronta1", "Fronta2", "Fronta3"]
    seen: set[AgentStatus] = set()
    for _ in range(12):
        snapshot = _assert_agrees(busy_rig)
        seen |= {a.status for a in snapshot.agents}
        busy_rig.clock.advance(17)
    assert {AgentStatus.IDLE, AgentStatus.TALKING, AgentStatus.OFFLINE} <= seen


def test_unavailable_line_and_hold(busy_rig: Rig) -> None:
    truth = busy_rig.engine.truth()
    idle = next(a for a in truth.agents if a.status is AgentStatus.IDLE)
    busy_rig.engine.set_device(idle.id, ok=False)
    snapshot = _assert_agrees(busy_rig)
    assert {a.id: a.status for a in snapshot.agents}[idle.login] is AgentStatus.UNAVAILABLE
    talking = next(
        (a for a in busy_rig.engine.truth().agents if a.status is AgentStatus.TALKING), None
    )
    if talking is not None:
        busy_rig.engine.hold(talking.id)
        snapshot = _assert_agrees(busy_rig)
        assert {a.id: a.status for a in snapshot.agents}[talking.login] is AgentStatus.ON_HOLD


# ------------------------------------------------------------------ actions


def _status(rig: Rig, login: str) -> AgentStatus:
    return {a.id: a.status for a in rig.fetch().agents}[login]


def test_pause_and_unpause(quiet_rig: Rig) -> None:
    agent_id = next(a.id for a in quiet_rig.engine.truth().agents if a.status is AgentStatus.IDLE)
    ref = quiet_rig.ref(agent_id)
    quiet_rig.provider.pause(ref, None)
    assert _status(quiet_rig, ref.id) is AgentStatus.PAUSED
    quiet_rig.provider.unpause(ref)
    assert _status(quiet_rig, ref.id) is AgentStatus.IDLE
    _assert_agrees(quiet_rig)


def test_logout_and_login(quiet_rig: Rig) -> None:
    agent_id = next(a.id for a in quiet_rig.engine.truth().agents if a.status is AgentStatus.IDLE)
    ref = quiet_rig.ref(agent_id)
    quiet_rig.provider.agent_logout(ref)
    snapshot = quiet_rig.fetch()
    assert {a.id: a.status for a in snapshot.agents}[ref.id] is AgentStatus.OFFLINE
    assert ref.id not in {m.agent_id for m in snapshot.memberships}
    quiet_rig.provider.agent_login(ref, ref.extension)
    assert quiet_rig.engine.agents[agent_id].logged_in
    _assert_agrees(quiet_rig)


def test_add_to_and_remove_from_queue(quiet_rig: Rig) -> None:
    engine = quiet_rig.engine
    agent_id, queue_id = next(
        (a, q)
        for a, agent in engine.agents.items()
        if agent.logged_in
        for q in engine.queues
        if (a, q) not in engine.memberships
    )
    ref = quiet_rig.ref(agent_id)
    queue_name = f"Fronta{queue_id}"
    quiet_rig.provider.add_to_queue(ref, queue_name, 2)
    members = {(m.agent_id, m.queue_id): m for m in quiet_rig.fetch().memberships}
    assert members[(ref.id, queue_name)].penalty == 2
    assert members[(ref.id, queue_name)].static is False
    quiet_rig.provider.remove_from_queue(ref, queue_name)
    members = {(m.agent_id, m.queue_id): m for m in quiet_rig.fetch().memberships}
    assert (ref.id, queue_name) not in members
    _assert_agrees(quiet_rig)


def test_originate_listen_and_hang_up(quiet_rig: Rig) -> None:
    engine = quiet_rig.engine
    agent_id = next(a.id for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    ref = quiet_rig.ref(agent_id)
    quiet_rig.provider.originate(ref, "800123456")
    snapshot = _assert_agrees(quiet_rig)
    assert {a.id: a.status for a in snapshot.agents}[ref.id] is AgentStatus.DIALING
    (call,) = snapshot.active_calls
    assert call.number == "800123456"
    assert call.agent_id == ref.id

    for _ in range(10):  # the far end answers after a few seconds of ringing
        quiet_rig.clock.advance(1)
        engine.sync()
        if engine.agents[agent_id].status is AgentStatus.TALKING:
            break
    snapshot = _assert_agrees(quiet_rig)
    assert {a.id: a.status for a in snapshot.agents}[ref.id] is AgentStatus.TALKING

    quiet_rig.provider.listen(ref, "100", ListenMode.SPY, call_id=call.call_id)
    assert engine.monitors[agent_id].listener_extension == "100"

    quiet_rig.provider.hangup(call_id=call.call_id)
    snapshot = _assert_agrees(quiet_rig)
    assert not snapshot.active_calls


def test_hang_up_an_inbound_call_by_agent(quiet_rig: Rig) -> None:
    engine = quiet_rig.engine
    engine.add_waiting_call("1", "777123456")
    snapshot = _assert_agrees(quiet_rig)
    assert [w.caller for w in snapshot.waiting_calls] == ["777123456"] or snapshot.active_calls
    quiet_rig.clock.advance(8)
    snapshot = _assert_agrees(quiet_rig)
    (call,) = snapshot.active_calls
    assert call.state is AgentStatus.TALKING
    agent_id = next(a for a in engine.agents if engine.agents[a].login == call.agent_id)
    quiet_rig.provider.hangup(agent=quiet_rig.ref(agent_id))
    assert not quiet_rig.fetch().active_calls
    assert engine.queues["1"].answered == 1


# ------------------------------------------------------------------ errors


def test_wrong_pin_is_the_documented_errno(quiet_rig: Rig) -> None:
    agent_id = next(iter(quiet_rig.engine.agents))
    ref = quiet_rig.ref(agent_id)
    wrong = AgentRef(id=ref.id, number=ref.number, pin="x" + (ref.pin or ""))
    provider = quiet_rig.provider
    cases: list[tuple[Callable[[], None], str]] = [
        (lambda: provider.agent_login(wrong, "500"), "500"),
        (lambda: provider.pause(wrong, None), "580"),
        (lambda: provider.unpause(wrong), "590"),
        (lambda: provider.agent_logout(wrong), "550"),
        (lambda: provider.add_to_queue(wrong, "Fronta1", 0), "601"),
        (lambda: provider.remove_from_queue(wrong, "Fronta1"), "611"),
    ]
    for action, errno in cases:
        with pytest.raises(ProviderNotFoundError) as caught:
            action()
        assert caught.value.code == errno
        assert "PIN" in caught.value.message


def test_unknown_queue(quiet_rig: Rig) -> None:
    ref = quiet_rig.ref(next(iter(quiet_rig.engine.agents)))
    with pytest.raises(ProviderNotFoundError) as caught:
        quiet_rig.provider.add_to_queue(ref, "FrontaABC", 0)
    assert caught.value.code == "600"
    with pytest.raises(ProviderNotFoundError) as caught:
        quiet_rig.provider.remove_from_queue(ref, "FrontaABC")
    assert caught.value.code == "610"


def test_unknown_watched_queue_fails_only_the_queues() -> None:
    config = SimConfig(agents=4, queues=1, seed=2, calls_per_min_per_queue=0)
    with _rig(config, queues="Fronta1,FrontaABC") as rig:
        snapshot = rig.fetch()
        assert Endpoint.QUEUES in snapshot.failed
        assert Endpoint.CALLS not in snapshot.failed
        assert [q.id for q in snapshot.queues] == ["Fronta1"]
        assert any("FrontaABC" in error for error in snapshot.errors)


def test_wrong_credentials() -> None:
    with _rig(SimConfig(agents=2, queues=1), password="wrong") as rig:
        with pytest.raises(ProviderAuthError) as caught:
            rig.fetch()
        assert caught.value.code == "100"
        assert "wrong" not in str(caught.value)


def test_agentstatus_reply_is_the_documented_invalid_json(quiet_rig: Rig) -> None:
    agent = next(iter(quiet_rig.engine.agents.values()))
    reply = httpx.get(
        f"{quiet_rig.server.url}/api/api.php",
        params={
            "username": "demo",
            "password": "demo",
            "action": "agentstatus",
            "agentNumber": agent.number,
            "agentPin": agent.pin,
        },
    )
    assert re.fullmatch(
        rf'\{{"success":"true":"reason":"Agent {agent.number} is logged (in\. Line is '
        r'(free|In use|ringing|On hold|unavailable)|out\.)"\}',
        reply.text,
    ), reply.text


def test_documented_errnos_of_the_simulator(quiet_rig: Rig) -> None:
    url = f"{quiet_rig.server.url}/api/api.php"
    auth = {"username": "demo", "password": "demo"}

    def errno(**params: str) -> str:
        return str(httpx.get(url, params={**auth, **params}).json().get("errno"))

    assert errno(action="nothing") == "110"
    assert errno(action="queuestatus") == "120"
    assert errno(action="hangupcall", channelName="") == "400"
    assert errno(action="agentstatus", agentNumber="1", agentPin="1") == "620"
    assert (
        errno(action="agentlogin", agentNumber="1", agentPin="1", srcExtenInternalNum="500")
        == "500"
    )
    assert (
        errno(action="originate", dstNum="1", srcExtenInternalNum="1", srcSipUsername="2") == "200"
    )
    assert errno(action="originate", dstNum="1", srcExtenInternalNum="999") == "202"
    assert errno(action="spying", srcExtenInternalNum="1", srcExtenId="2") == "300"
    assert (
        errno(
            action="spying", srcExtenInternalNum="1", dstExtenInternalNum="500", dstChannelName="x"
        )
        == "301"
    )
    assert errno(action="spying", srcExtenInternalNum="1", dstExtenInternalNum="999") == "311"
    assert httpx.get(url, params={"action": "listcalls"}).json()["errno"] == "100"


@pytest.mark.parametrize("seed", [1, 6])
def test_random_actions_keep_the_adapter_and_the_truth_in_step(seed: int) -> None:
    """Random supervisor actions through the adapter, traffic running: after each one the
    next fetch agrees with the engine (refusals are fine, disagreement is not)."""
    rng = random.Random(seed)
    config = SimConfig(agents=12, queues=3, seed=seed, calls_per_min_per_queue=5.0)
    with _rig(config) as rig:
        provider = rig.provider
        actions: dict[str, Callable[[AgentRef, str], None]] = {
            "pause": lambda ref, queue: provider.pause(ref, None),
            "unpause": lambda ref, queue: provider.unpause(ref),
            "logout": lambda ref, queue: provider.agent_logout(ref),
            "login": lambda ref, queue: provider.agent_login(ref, ref.extension),
            "add": lambda ref, queue: provider.add_to_queue(ref, queue, rng.randrange(3)),
            "remove": lambda ref, queue: provider.remove_from_queue(ref, queue),
            "originate": lambda ref, queue: provider.originate(ref, "800123456"),
            "hangup": lambda ref, queue: provider.hangup(agent=ref),
            "listen": lambda ref, queue: provider.listen(ref, "100", ListenMode.SPY),
        }
        for _ in range(30):
            ref = rig.ref(rng.choice(sorted(rig.engine.agents)))
            queue = f"Fronta{rng.choice(sorted(rig.engine.queues))}"
            with contextlib.suppress(ProviderRefusedError, ProviderNotFoundError):
                actions[rng.choice(sorted(actions))](ref, queue)
            _assert_agrees(rig)
            rig.clock.advance(rng.randrange(0, 9))
