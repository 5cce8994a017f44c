"""The shared call-center engine: determinism, call flow, actions and their errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from providers.model import Agent, AgentStatus, CallDirection, Queue, Snapshot
from providers.sim.engine import CallCenter, ManualClock, SimConfig, SimError

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
QUIET = SimConfig(
    agents=4, queues=2, calls_per_min_per_queue=0, pause_rate_per_hour=0, patience_s=10_000
)


def make(config: SimConfig = QUIET) -> tuple[CallCenter, ManualClock]:
    clock = ManualClock(START)
    return CallCenter(config, clock), clock


def ready(engine: CallCenter, agent_id: str, queue_id: str = "1") -> None:
    engine.login(agent_id)
    engine.login_queue(agent_id, queue_id)
    engine.set_status(agent_id, AgentStatus.IDLE)


def park_everyone(engine: CallCenter) -> None:
    for agent_id in list(engine.agents):
        engine.set_status(agent_id, AgentStatus.PAUSED)


def agent(snapshot: Snapshot, agent_id: str) -> Agent:
    return next(a for a in snapshot.agents if a.id == agent_id)


def queue(snapshot: Snapshot, queue_id: str) -> Queue:
    return next(q for q in snapshot.queues if q.id == queue_id)


def advance_until(
    engine: CallCenter, clock: ManualClock, agent_id: str, status: AgentStatus, limit_s: int = 5000
) -> None:
    for _ in range(limit_s):
        if agent(engine.truth(), agent_id).status is status:
            return
        clock.advance(1)
    raise AssertionError(f"agent {agent_id} never reached {status}")


# ---------------------------------------------------------------- determinism


def run_scenario(seed: int) -> list[Snapshot]:
    engine, clock = make(SimConfig(agents=30, queues=4, seed=seed, calls_per_min_per_queue=6))
    seen = []
    for step in range(40):
        clock.advance(7.5)
        if step == 10:
            engine.pause("3", "4", force=True)
        if step == 20:
            engine.add_waiting_call("2", "226211245", "Test")
        if step == 25:
            engine.unpause("3")
        seen.append(engine.truth())
    return seen


def test_same_seed_same_steps_same_state() -> None:
    assert run_scenario(7) == run_scenario(7)


def test_other_seed_other_state() -> None:
    assert run_scenario(7) != run_scenario(8)


def test_build_is_deterministic_and_names_are_unique() -> None:
    one, _ = make(SimConfig(agents=200, queues=10))
    two, _ = make(SimConfig(agents=200, queues=10))
    assert one.truth() == two.truth()
    logins = [a.login for a in one.agents.values()]
    assert len(set(logins)) == len(logins)
    assert {a.status for a in one.agents.values()} >= {AgentStatus.OFFLINE, AgentStatus.IDLE}


def test_status_since_changes_only_with_status() -> None:
    engine, clock = make()
    ready(engine, "1")
    since = agent(engine.truth(), "1").status_since
    clock.advance(30)
    engine.login_queue("1", "2")
    assert agent(engine.truth(), "1").status_since == since


def test_hostile_names() -> None:
    engine, _ = make(replace(QUIET, names="hostile"))
    assert any("<" in a.name for a in engine.agents.values())


# ---------------------------------------------------------------- call flow


def test_call_waits_rings_talks_wraps_up_and_idles() -> None:
    engine, clock = make()
    park_everyone(engine)
    call_id = engine.add_waiting_call("1", "226211245", "Karel")
    truth = engine.truth()
    assert queue(truth, "1").calls_waiting == 1
    assert truth.waiting_calls[0].call_id == call_id
    assert truth.waiting_calls[0].position == 1

    ready(engine, "1")
    clock.advance(1)
    truth = engine.truth()
    assert agent(truth, "1").status is AgentStatus.RINGING
    assert queue(truth, "1").calls_waiting == 0
    (active,) = truth.active_calls
    assert (active.call_id, active.agent_id, active.state) == (call_id, "1", AgentStatus.RINGING)
    assert active.direction is CallDirection.IN
    assert active.channel is not None
    assert active.channel.startswith("SIP/500-")

    clock.advance(QUIET.ring_s)
    assert agent(engine.truth(), "1").status is AgentStatus.TALKING

    advance_until(engine, clock, "1", AgentStatus.WRAP_UP)
    truth = engine.truth()
    assert agent(truth, "1").pause_reason == "Wrap"
    assert queue(truth, "1").answered == 1
    assert queue(truth, "1").service_level_pct == 100.0
    assert truth.active_calls == ()

    clock.advance(QUIET.wrap_up_s)
    assert agent(engine.truth(), "1").status is AgentStatus.IDLE


def test_longest_idle_member_gets_the_call() -> None:
    engine, clock = make()
    park_everyone(engine)
    ready(engine, "2")
    clock.advance(10)
    ready(engine, "1")
    engine.add_waiting_call("1", "226211245")
    clock.advance(1)
    assert agent(engine.truth(), "2").status is AgentStatus.RINGING
    assert agent(engine.truth(), "1").status is AgentStatus.IDLE


def test_waiting_call_abandons_after_patience() -> None:
    engine, clock = make(replace(QUIET, patience_s=5))
    park_everyone(engine)
    engine.add_waiting_call("1", "226211245")
    for _ in range(500):
        clock.advance(1)
        if queue(engine.truth(), "1").calls_waiting == 0:
            break
    q = queue(engine.truth(), "1")
    assert (q.calls_waiting, q.abandoned, q.answered) == (0, 1, 0)
    assert q.service_level_pct == 0.0


def test_traffic_produces_every_common_state() -> None:
    engine, clock = make(
        SimConfig(agents=40, queues=3, calls_per_min_per_queue=8, pause_rate_per_hour=6)
    )
    seen: set[AgentStatus] = set()
    for _ in range(120):
        clock.advance(15)
        seen |= {a.status for a in engine.truth().agents}
    assert seen >= {
        AgentStatus.IDLE,
        AgentStatus.RINGING,
        AgentStatus.TALKING,
        AgentStatus.WRAP_UP,
        AgentStatus.PAUSED,
        AgentStatus.OFFLINE,
    }


# ---------------------------------------------------------------- actions


def talking(
    engine: CallCenter, clock: ManualClock, agent_id: str = "1", queue_id: str = "1"
) -> str:
    park_everyone(engine)
    ready(engine, agent_id, queue_id)
    call_id = engine.add_waiting_call(queue_id, "468008585")
    clock.advance(1 + QUIET.ring_s)
    assert agent(engine.truth(), agent_id).status is AgentStatus.TALKING
    return call_id


def test_pause_and_unpause() -> None:
    engine, _ = make()
    ready(engine, "1")
    engine.pause("1", "7")
    a = agent(engine.truth(), "1")
    assert (a.status, a.pause_reason_id, a.pause_reason) == (AgentStatus.PAUSED, "7", "Lunch")
    engine.unpause("1")
    assert agent(engine.truth(), "1").status is AgentStatus.IDLE


def test_pause_errors() -> None:
    engine, clock = make()
    talking(engine, clock)
    with pytest.raises(SimError) as err:
        engine.pause("1", "999")
    assert err.value.kind == "not_found"
    with pytest.raises(SimError) as err:
        engine.pause("1", "7")
    assert err.value.kind == "refused"
    with pytest.raises(SimError) as err:
        engine.pause("nobody", "7")
    assert err.value.kind == "not_found"
    engine.pause("1", "7", force=True)
    truth = engine.truth()
    assert agent(truth, "1").status is AgentStatus.PAUSED
    assert len(truth.active_calls) == 1  # a force-paused agent keeps the call
    engine.unpause("1")
    assert agent(engine.truth(), "1").status is AgentStatus.TALKING


def test_login_and_logout() -> None:
    engine, _ = make()
    ready(engine, "1")
    engine.logout("1")
    truth = engine.truth()
    assert agent(truth, "1").status is AgentStatus.OFFLINE
    assert not any(m.logged_in for m in truth.memberships if m.agent_id == "1")
    engine.login("1", extension="777")
    a = agent(engine.truth(), "1")
    assert a.extension == "777"
    assert a.status in (AgentStatus.IDLE, AgentStatus.LOGGED_IN)


def test_login_queue_adds_membership_and_logout_queue_leaves_it() -> None:
    engine, _ = make()
    ready(engine, "1")
    for queue_id in list(engine.agents["1"].queue_ids):
        if queue_id != "1":
            engine.remove_member("1", queue_id)
    engine.login_queue("1", "2", penalty=2)
    memberships = {m.queue_id: m for m in engine.truth().memberships if m.agent_id == "1"}
    assert memberships["2"].penalty == 2
    assert memberships["2"].logged_in
    engine.logout_queue("1", "2")
    engine.logout_queue("1", "1")
    truth = engine.truth()
    assert agent(truth, "1").status is AgentStatus.LOGGED_IN
    assert not any(m.logged_in for m in truth.memberships if m.agent_id == "1")
    with pytest.raises(SimError) as err:
        engine.login_queue("1", "99")
    assert err.value.kind == "not_found"


def test_logout_queue_refused_during_a_call_in_that_queue() -> None:
    engine, clock = make()
    talking(engine, clock)
    with pytest.raises(SimError) as err:
        engine.logout_queue("1", "1")
    assert err.value.kind == "refused"
    assert err.value.call_number == "468008585"
    with pytest.raises(SimError) as err:
        engine.logout("1")
    assert err.value.kind == "refused"


def test_add_and_remove_member() -> None:
    engine, _ = make()
    engine.add_member("1", "2", 1)
    assert any(
        m.queue_id == "2" and m.penalty == 1
        for m in engine.truth().memberships
        if m.agent_id == "1"
    )
    engine.remove_member("1", "2")
    assert not any(m.queue_id == "2" for m in engine.truth().memberships if m.agent_id == "1")
    with pytest.raises(SimError) as err:
        engine.remove_member("1", "2")
    assert err.value.kind == "not_found"
    with pytest.raises(SimError) as err:
        engine.add_member("1", "2", -1)
    assert err.value.kind == "invalid"


def test_hangup_completes_a_talked_call() -> None:
    engine, clock = make()
    call_id = talking(engine, clock)
    engine.hangup(call_id)
    truth = engine.truth()
    assert truth.active_calls == ()
    assert agent(truth, "1").status is AgentStatus.WRAP_UP
    assert queue(truth, "1").answered == 1
    with pytest.raises(SimError) as err:
        engine.hangup(call_id)
    assert err.value.kind == "not_found"


def test_hangup_agent() -> None:
    engine, clock = make()
    talking(engine, clock)
    engine.hangup_agent("1")
    assert engine.truth().active_calls == ()
    with pytest.raises(SimError) as err:
        engine.hangup_agent("1")
    assert err.value.kind == "refused"


def test_transfer_to_queue_agent_and_number() -> None:
    engine, clock = make()
    call_id = talking(engine, clock)
    engine.transfer(call_id, to_queue="2", attended=False)
    truth = engine.truth()
    assert [(w.queue_id, w.call_id) for w in truth.waiting_calls] == [("2", call_id)]
    assert agent(truth, "1").status is AgentStatus.WRAP_UP

    if ("2", "2") in engine.memberships:
        engine.remove_member("2", "2")  # or agent 2 would take the call from queue 2 itself
    ready(engine, "2", "1")
    engine.transfer(call_id, to_agent="2", attended=True)
    truth = engine.truth()
    assert agent(truth, "2").status is AgentStatus.RINGING
    assert truth.waiting_calls == ()

    clock.advance(QUIET.ring_s)
    engine.transfer(call_id, to_number="800123456", attended=True)
    truth = engine.truth()
    assert truth.active_calls == ()
    assert agent(truth, "2").status is AgentStatus.WRAP_UP

    with pytest.raises(SimError) as err:
        engine.transfer(call_id, to_number="1", attended=False)
    assert err.value.kind == "not_found"


def test_transfer_errors() -> None:
    engine, clock = make()
    call_id = talking(engine, clock)
    with pytest.raises(SimError) as err:
        engine.transfer(call_id, to_queue="2", to_number="1", attended=True)
    assert err.value.kind == "invalid"
    with pytest.raises(SimError) as err:
        engine.transfer(call_id, to_agent="3", attended=True)  # paused
    assert err.value.kind == "refused"


def test_monitor() -> None:
    engine, clock = make()
    with pytest.raises(SimError) as err:
        engine.monitor("1", "200", "spy")
    assert err.value.kind == "refused"
    call_id = talking(engine, clock)
    with pytest.raises(SimError) as err:
        engine.monitor("1", "200", "shout")
    assert err.value.kind == "invalid"
    session = engine.monitor("1", "200", "whisper")
    assert engine.monitors["1"] == session
    assert session.call_id == call_id
    engine.hangup(call_id)
    assert "1" not in engine.monitors


def test_originate() -> None:
    engine, clock = make()
    ready(engine, "1")
    call_id = engine.originate("1", "800123456")
    truth = engine.truth()
    assert agent(truth, "1").status is AgentStatus.DIALING
    (active,) = truth.active_calls
    assert (active.call_id, active.direction, active.number) == (
        call_id,
        CallDirection.OUT,
        "800123456",
    )
    advance_until(engine, clock, "1", AgentStatus.TALKING, limit_s=20)
    with pytest.raises(SimError) as err:
        engine.originate("1", "1")
    assert err.value.kind == "refused"


def test_pickup() -> None:
    engine, _ = make()
    park_everyone(engine)
    call_id = engine.add_waiting_call("2", "226211245")
    engine.pickup("3", call_id)
    truth = engine.truth()
    assert truth.waiting_calls == ()
    assert truth.active_calls[0].agent_id == "3"
    with pytest.raises(SimError) as err:
        engine.pickup("1", call_id)
    assert err.value.kind == "refused"


def test_hold_and_unhold() -> None:
    engine, clock = make()
    talking(engine, clock)
    engine.hold("1")
    assert agent(engine.truth(), "1").status is AgentStatus.ON_HOLD
    assert engine.truth().active_calls[0].state is AgentStatus.ON_HOLD
    engine.unhold("1")
    assert agent(engine.truth(), "1").status is AgentStatus.TALKING


def test_set_device() -> None:
    engine, _ = make()
    ready(engine, "1")
    engine.set_device("1", False)
    assert agent(engine.truth(), "1").status is AgentStatus.UNAVAILABLE
    engine.set_device("1", True)
    assert agent(engine.truth(), "1").status is AgentStatus.IDLE


def test_truth_counts_queue_agents() -> None:
    engine, _ = make()
    for agent_id in engine.agents:
        engine.login(agent_id)
        engine.login_queue(agent_id, "1")
    engine.set_status("1", AgentStatus.IDLE)
    engine.set_status("2", AgentStatus.PAUSED)
    engine.set_status("3", AgentStatus.WRAP_UP)
    engine.set_status("4", AgentStatus.TALKING)
    q = queue(engine.truth(), "1")
    assert (q.agents_total, q.agents_ready, q.agents_paused, q.agents_busy) == (4, 1, 2, 1)


# ---------------------------------------------------------------- size


def test_thousand_agents_build_and_run() -> None:
    engine, clock = make(SimConfig(agents=1000, queues=100))
    clock.advance(120)
    truth = engine.truth()
    assert len(truth.agents) == 1000
    assert len(truth.queues) == 100
    assert truth.active_calls
