"""Two web processes, two Celery workers and beat on one Redis and one PostgreSQL."""

from __future__ import annotations

import re

import pytest

from providers.model import AgentStatus
from tests.system.conftest import System, make_accounts, tv_link
from tests.system.processes import wait_until
from tests.system.recorder import assert_one_poll_at_a_time
from tests.system.watcher import BoardWatcher
from wallboard.monitoring.models import Agent

pytestmark = [pytest.mark.system, pytest.mark.services]


def test_a_change_reaches_sockets_on_every_web_process(system: System) -> None:
    sim = system.simulator()
    (account,) = make_accounts(sim, 1)
    link = tv_link(account)
    webs = [system.cluster.web("web1"), system.cluster.web("web2")]
    system.cluster.worker("worker1")
    system.cluster.worker("worker2")
    system.cluster.beat("beat")
    wait_until(lambda: Agent.objects.filter(account=account).exists(), 60, "a first poll")
    for web in webs:
        web.wait_ready()
    watchers = [system.watch(web.port, link) for web in webs]
    wait_until(lambda: all(w.markers() for w in watchers), 30, "the full state on both")

    agent = Agent.objects.filter(account=account).exclude(status=AgentStatus.OFFLINE).first()
    assert agent is not None
    sim_agent = sim.engine.agent_id_by_login(agent.login)
    assert sim_agent is not None
    sim.engine.set_status(sim_agent, AgentStatus.OFFLINE)
    wait_until(
        lambda: Agent.objects.get(pk=agent.pk).status == AgentStatus.OFFLINE, 30, "the change"
    )
    tile = re.compile(f'<article id="agent-{agent.pk}"[^>]*data-status="{AgentStatus.OFFLINE}"')

    def delivered(watcher: BoardWatcher) -> bool:
        # The first message is the full state, taken before the change.
        return any(tile.search(message) for message in watcher.messages[1:])

    wait_until(lambda: all(delivered(w) for w in watchers), 30, "the change on both")


def test_two_beats_and_two_workers_poll_each_account_once_per_interval(system: System) -> None:
    sim = system.simulator(delay_s=0.15)
    accounts = make_accounts(sim, 6, interval_s=1)
    for name in ("worker1", "worker2"):
        system.cluster.worker(name)
    beats = [system.cluster.beat("beat1"), system.cluster.beat("beat2")]

    wait_until(lambda: all(len(sim.poll_starts(a.name)) >= 6 for a in accounts), 90, "6 polls each")

    assert all(beat.running for beat in beats)
    for account in accounts:
        assert_one_poll_at_a_time(sim, account.name, 1)
