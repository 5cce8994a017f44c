"""Process-level faults: Redis lost and restarted empty, PostgreSQL lost mid-poll, a worker
killed mid-poll, beat stopped and restarted. Each checks stored state, what sockets receive,
and the logs."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from providers.model import AgentStatus
from providers.sim.engine import ManualClock
from tests.system.conftest import System, make_accounts, tv_link
from tests.system.processes import Process, wait_until
from tests.system.recorder import RecordingSimulator, assert_one_poll_at_a_time, overlapping
from wallboard.monitoring.adapters import build_provider
from wallboard.monitoring.diff import diff, normalise
from wallboard.monitoring.models import Agent, AgentStatusSpan, ProviderAccount
from wallboard.monitoring.read_model import load_state

pytestmark = [pytest.mark.system, pytest.mark.services]


def polls_since(sim: RecordingSimulator, account: ProviderAccount, since: float) -> int:
    return len(sim.poll_starts(account.name, since=since))


def errors_logged(process: Process) -> list[str]:
    return [line for line in process.log().splitlines() if "ERROR" in line or "Traceback" in line]


@contextmanager
def busy_call_center(clock: ManualClock) -> Iterator[None]:
    """Move the simulated call center ten seconds every tenth of a second (lots of changes),
    and hold it still afterwards, so the stored state can be compared with the vendor's."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(0.1):
            clock.advance(10)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def assert_stored_state_matches_the_vendor(account: ProviderAccount) -> None:
    """Nothing half-written: what is stored is what the vendor reports now (polled quietly)."""
    account.refresh_from_db()
    stored = load_state(account)
    snapshot = build_provider(account).fetch_snapshot()
    # Queue figures such as the longest wait move with the clock; agents and memberships do
    # not while the call center is still.
    reported = normalise(snapshot, stored)
    delta = diff(stored, reported, snapshot.taken_at)
    assert not delta.agents
    assert not delta.memberships
    assert set(stored.queues) == set(reported.queues)
    open_spans = Counter(
        AgentStatusSpan.objects.filter(agent__account=account, ended_at__isnull=True).values_list(
            "agent_id", flat=True
        )
    )
    assert open_spans
    assert max(open_spans.values()) == 1
    for agent in Agent.objects.filter(account=account):
        span = agent.spans.get(ended_at__isnull=True)
        assert span.status == agent.status


def test_redis_killed_and_restarted_empty(system: System) -> None:
    sim = system.simulator()
    (account,) = make_accounts(sim, 1, interval_s=1)
    web = system.cluster.web("web")
    worker = system.cluster.worker("worker")
    beat = system.cluster.beat("beat")
    wait_until(lambda: polls_since(sim, account, 0) >= 2, 60, "polling")
    web.wait_ready()
    watcher = system.watch(web.port, tv_link(account))
    wait_until(watcher.markers, 30, "the full state")

    system.redis.process.kill()
    lost_at = time.time()
    time.sleep(4)
    assert polls_since(sim, account, lost_at + 1) == 0
    system.redis.start()
    back_at = time.time()

    wait_until(lambda: polls_since(sim, account, back_at) >= 3, 60, "polling again")
    wait_until(
        lambda: ProviderAccount.objects.get(pk=account.pk).last_success_at.timestamp() > back_at,
        30,
        "a stored poll",
    )
    # The open socket stays open: its server re-subscribes, and the browser resyncs on the
    # sequence gap left by what was published while Redis was gone.
    wait_until(lambda: watcher.messages_since(back_at), 30, "a push to the open socket")
    assert not watcher.closed.is_set()

    again = system.watch(web.port, tv_link(account))
    wait_until(lambda: any(m.full for m in again.markers()), 30, "the full state on a new socket")
    agent = Agent.objects.filter(account=account).exclude(status=AgentStatus.OFFLINE).first()
    assert agent is not None
    sim_agent = sim.engine.agent_id_by_login(agent.login)
    assert sim_agent is not None
    sim.engine.set_status(sim_agent, AgentStatus.OFFLINE)
    tile = f'id="agent-{agent.pk}"'
    wait_until(
        lambda: all(
            any(tile in m for m in socket.messages_since(back_at)) for socket in (watcher, again)
        ),
        30,
        "a change pushed after the restart, on both sockets",
    )

    # One line when beat cannot send and one when it can again, not one a second.
    assert len(beat.log_lines("broker unreachable")) == 1
    assert len(beat.log_lines("broker reachable again")) == 1
    assert "Traceback" not in beat.log()
    # A push on the dead pooled connection is retried on a fresh one; at worst one warning
    # per pool process, never one per poll.
    assert len(worker.log_lines("push to")) <= 2
    # The web process's pub/sub reconnect loop: one line, no traceback each second.
    assert len(web.process.log_lines("Unexpected exception in receive task")) == 1
    assert "Traceback" not in web.process.log()


def test_postgres_lost_mid_poll(system: System) -> None:
    clock = ManualClock(datetime.now(UTC))
    sim = system.simulator(delay_s=0.3, clock=clock, agents=20, calls_per_min_per_queue=20)
    accounts = make_accounts(sim, 2, interval_s=1)
    worker = system.cluster.worker("worker")
    system.cluster.beat("beat")
    with busy_call_center(clock):
        wait_until(lambda: all(polls_since(sim, a, 0) >= 2 for a in accounts), 60, "polling")
        # Cut off in the middle of a poll's transaction: agents already written, their
        # status spans not yet, the sequence number not yet.
        system.postgres.outage_on(b'INSERT INTO "monitoring_agentstatusspan"', 3)
        wait_until(system.postgres.triggered.is_set, 30, "a poll writing status spans")
        cut_at = time.time()
        wait_until(
            lambda: all(polls_since(sim, a, cut_at + 3) >= 2 for a in accounts),
            60,
            "polling again",
        )
    quiet_since = time.time()
    wait_until(
        lambda: all(polls_since(sim, a, quiet_since + 0.5) >= 2 for a in accounts),
        30,
        "quiet polls",
    )

    for account in accounts:
        assert overlapping(sim.log(account.name)) == []
        assert_stored_state_matches_the_vendor(account)
        assert not ProviderAccount.objects.get(pk=account.pk).stale
    # One line per worker process on failure and one on recovery, no traceback per task.
    lost = worker.log_lines("database unreachable, polling paused")
    assert 1 <= len(lost) <= 2
    assert len(worker.log_lines("database reachable again")) == len(lost)
    assert errors_logged(worker) == []


def test_a_killed_worker_and_a_stopped_beat_leave_no_backlog(system: System) -> None:
    # Four requests of 0.4 s: a poll outlasts a beat tick but not the lease.
    sim = system.simulator(delay_s=0.4)
    (account,) = make_accounts(sim, 1, interval_s=1)
    doomed = system.cluster.worker("worker1")
    beat = system.cluster.beat("beat")
    wait_until(lambda: sim.poll_starts(account.name), 60, "polling")
    wait_until(lambda: sim.in_flight(account.name), 30, "a poll in progress")

    doomed.kill()
    killed_at = time.time()
    lease_until = ProviderAccount.objects.get(pk=account.pk).lease_until
    assert lease_until is not None
    assert lease_until.timestamp() > killed_at
    survivor = system.cluster.worker("worker2")
    wait_until(lambda: polls_since(sim, account, killed_at) >= 2, 60, "polling again")
    # The account waited for the dead poll's lease, and was then polled again as usual.
    assert sim.poll_starts(account.name, since=killed_at)[0] >= lease_until.timestamp()
    assert_one_poll_at_a_time(sim, account.name, 1)

    beat.stop()
    stopped_at = time.time()
    time.sleep(4)
    assert polls_since(sim, account, stopped_at + 2) == 0
    system.cluster.beat("beat")
    restarted_at = time.time()
    wait_until(lambda: polls_since(sim, account, restarted_at) >= 3, 60, "polling after beat")
    # The polls missed while beat was down are not made up.
    assert_one_poll_at_a_time(sim, account.name, 1, since=restarted_at)
    for process in (survivor, beat):
        assert errors_logged(process) == []
