"""The diff: nothing changed → nothing to write; one change → exactly that change."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from providers.model import (
    Agent,
    AgentStatus,
    Endpoint,
    Membership,
    Queue,
    Snapshot,
    WaitingCall,
)
from wallboard.monitoring.diff import State, apply, diff, normalise

T0 = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


def snapshot(taken_at: datetime = T0, **parts: object) -> Snapshot:
    base: dict[str, object] = {
        "queues": [
            Queue(id="4", name="Support", number="2000", calls_waiting=1, longest_wait_s=30)
        ],
        "agents": [
            Agent(
                id="1",
                login="novak",
                name="Jan Novák",
                status=AgentStatus.IDLE,
                raw_status="Idle",
                status_since=T0 - timedelta(minutes=5),
            ),
            Agent(
                id="2",
                login="dvorak",
                name="Eva Dvořák",
                status=AgentStatus.TALKING,
                raw_status="Speaking",
                status_since=T0 - timedelta(minutes=1),
            ),
        ],
        "memberships": [
            Membership(agent_id="1", queue_id="4"),
            Membership(agent_id="2", queue_id="4"),
        ],
        "waiting_calls": [WaitingCall(queue_id="4", position=1, caller="226211245", wait_s=30)],
    }
    base.update(parts)
    return Snapshot.build(taken_at=taken_at, **base)  # type: ignore[arg-type]


def stored(snap: Snapshot) -> State:
    first = normalise(snap, State())
    return apply(State(), diff(State(), first, snap.taken_at))


def test_first_poll_is_all_new() -> None:
    snap = snapshot()
    delta = diff(State(), normalise(snap, State()), snap.taken_at)
    assert set(delta.queues) == {"4"}
    assert set(delta.agents) == {"1", "2"}
    assert set(delta.memberships) == {("1", "4"), ("2", "4")}
    assert set(delta.waiting) == {"4"}


def test_nothing_changed_means_an_empty_delta_even_as_waits_grow() -> None:
    old = stored(snapshot())
    # Two seconds later the same caller has waited two seconds longer: nothing changed.
    later = snapshot(
        T0 + timedelta(seconds=2),
        queues=[Queue(id="4", name="Support", number="2000", calls_waiting=1, longest_wait_s=32)],
        waiting_calls=[WaitingCall(queue_id="4", position=1, caller="226211245", wait_s=32)],
    )
    delta = diff(old, normalise(later, old), later.taken_at)
    assert len(delta) == 0
    assert not delta


def test_vendor_rounding_jitter_is_not_a_change() -> None:
    old = stored(snapshot())
    jitter = snapshot(
        T0 + timedelta(seconds=2),
        waiting_calls=[WaitingCall(queue_id="4", position=1, caller="226211245", wait_s=33)],
    )
    assert not diff(old, normalise(jitter, old), jitter.taken_at)


def test_one_agent_change_is_one_agent_in_the_delta() -> None:
    old = stored(snapshot())
    paused = snapshot(
        agents=[
            Agent(
                id="1",
                login="novak",
                name="Jan Novák",
                status=AgentStatus.PAUSED,
                raw_status="Paused",
                status_since=T0,
                pause_reason_id="7",
                pause_reason="Obed",
            ),
            Agent(
                id="2",
                login="dvorak",
                name="Eva Dvořák",
                status=AgentStatus.TALKING,
                raw_status="Speaking",
                status_since=T0 - timedelta(minutes=1),
            ),
        ]
    )
    delta = diff(old, normalise(paused, old), paused.taken_at)
    assert len(delta) == 1
    assert delta.agents["1"].status is AgentStatus.PAUSED
    assert delta.agents["1"].pause_reason == "Obed"


def test_a_new_caller_changes_only_that_queues_waiting_list() -> None:
    old = stored(snapshot())
    more = snapshot(
        waiting_calls=[
            WaitingCall(queue_id="4", position=1, caller="226211245", wait_s=30),
            WaitingCall(queue_id="4", position=2, caller="603927227", wait_s=1),
        ],
    )
    delta = diff(old, normalise(more, old), more.taken_at)
    assert list(delta.waiting) == ["4"]
    assert [w.caller for w in delta.waiting["4"]] == ["226211245", "603927227"]
    assert not delta.agents
    assert not delta.queues


def test_a_failed_endpoint_keeps_its_part_of_the_state() -> None:
    old = stored(snapshot())
    broken = snapshot(agents=[], memberships=[], failed=frozenset({Endpoint.AGENTS}))
    new = normalise(broken, old)
    assert new.agents == old.agents
    assert new.memberships == old.memberships
    assert not diff(old, new, broken.taken_at)


def test_an_agent_who_vanishes_goes_offline_and_is_kept() -> None:
    old = stored(snapshot())
    gone = snapshot(
        agents=[a for a in snapshot().agents if a.id == "1"],
        memberships=[Membership(agent_id="1", queue_id="4")],
    )
    delta = diff(old, normalise(gone, old), gone.taken_at)
    assert delta.agents["2"].status is AgentStatus.OFFLINE
    assert delta.memberships[("2", "4")] is None
    after = apply(old, delta)
    assert after.agents["2"].status is AgentStatus.OFFLINE
    again = normalise(gone, after)
    assert not diff(after, again, gone.taken_at)


def test_status_since_is_kept_when_the_vendor_does_not_report_it() -> None:
    no_since = [dataclasses.replace(a, status_since=None) for a in snapshot().agents]
    first = snapshot(agents=no_since)
    old = stored(first)
    assert old.agents["1"].status_since == T0
    later = snapshot(T0 + timedelta(seconds=10), agents=no_since)
    new = normalise(later, old)
    assert new.agents["1"].status_since == T0
    assert not diff(old, new, later.taken_at).agents


def test_nobody_waiting_means_no_longest_wait() -> None:
    quiet = snapshot(
        queues=[Queue(id="4", name="Support", calls_waiting=0, longest_wait_s=0)],
        waiting_calls=[],
    )
    state = normalise(quiet, State())
    assert state.queues["4"].longest_wait_since is None
