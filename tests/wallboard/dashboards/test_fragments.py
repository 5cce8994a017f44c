"""What one stored change pushes: only the fragments it changed, the same markup the pages
show, over the real Redis channel layer."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db.models import F
from django.test import Client
from django.utils import translation

from providers.model import AgentStatus
from tests.conftest import Sim, make_account, make_user
from wallboard.dashboards.html import agent_tile, queue_counts
from wallboard.live import presence
from wallboard.live.presence import Shows, Watch
from wallboard.monitoring.models import Agent, Membership, ProviderAccount, Queue
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OOB = re.compile(r'<(\w+) id="([^"]+)"[^>]*hx-swap-oob="true"')


@pytest.fixture
def quiet_sim(start_sim: Any) -> Sim:
    """No calls and no pauses but those a test makes: each poll stores only its change."""
    sim: Sim = start_sim("daktela", calls_per_min_per_queue=0, pause_rate_per_hour=0)
    return sim


class Watcher:
    """Subscribed to an account's English group (or a selection of its queues) and watching
    it, showing ``widgets``, like a browser's socket."""

    def __init__(
        self,
        account: ProviderAccount,
        queues: frozenset[int] | None = None,
        widgets: Iterable[str] = (),
    ) -> None:
        self.layer: Any = get_channel_layer()
        self.watch = Watch(account.pk, "en", queues=queues)
        self.recorded = [self.watch, *(Shows(account.pk, w) for w in widgets)]
        self.channel = ""

    async def __aenter__(self) -> Watcher:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.watch.group, self.channel)
        await presence.watch(self.recorded)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await presence.unwatch(self.recorded)
        await self.layer.group_discard(self.watch.group, self.channel)

    async def receive(self) -> str:
        message = await asyncio.wait_for(self.layer.receive(self.channel), 5)
        html: str = message["html"]
        return html


def _idle_agent_in_queues(sim: Sim, account: ProviderAccount) -> tuple[str, Agent, list[int]]:
    """The idle agent in the most queues, and those queues."""
    idle = [a.id for a in sim.engine.truth().agents if a.status is AgentStatus.IDLE]
    agents = Agent.objects.filter(account=account, vendor_id__in=idle)
    queues = {
        a.pk: sorted(Membership.objects.filter(agent=a).values_list("queue_id", flat=True))
        for a in agents
    }
    agent = max(agents, key=lambda a: (len(queues[a.pk]), -a.pk))
    assert queues[agent.pk], "the simulator puts every agent in a queue"
    return agent.vendor_id, agent, queues[agent.pk]


def _render_en(queue_pks: list[int], agent: Agent) -> list[str]:
    with translation.override("en"):
        agent.call = None  # type: ignore[attr-defined]
        return [
            *(queue_counts(q, oob=True) for q in Queue.objects.filter(pk__in=queue_pks)),
            agent_tile(agent, oob=True),
        ]


async def test_an_agent_change_sends_its_tile_its_queues_counts_and_the_marker(
    quiet_sim: Sim,
) -> None:
    account = await database_sync_to_async(make_account)(quiet_sim)
    await database_sync_to_async(poll)(account)
    vendor_id, agent, queue_pks = await database_sync_to_async(_idle_agent_in_queues)(
        quiet_sim, account
    )
    async with Watcher(account) as watcher:
        quiet_sim.engine.set_status(vendor_id, AgentStatus.PAUSED, pause_id="7")
        result = await database_sync_to_async(poll)(account)
        update = await watcher.receive()

    found = OOB.findall(update)
    assert sorted(found[:-2]) == sorted(
        ("p", f"queue-{pk}-{line}") for pk in queue_pks for line in ("counts", "forecast")
    ), "the expected wait follows the agents taking calls"
    assert found[-2:] == [("article", f"agent-{agent.pk}"), ("div", f"seq-{account.pk}")]
    assert f'data-seq="{result.seq}"' in update
    assert "queue-tile" not in update
    agent = await database_sync_to_async(Agent.objects.get)(pk=agent.pk)
    for fragment in await database_sync_to_async(_render_en)(queue_pks, agent):
        assert fragment in update
    assert 'data-status="PAUSED"' in update
    assert "<small>paused</small>" in update


async def test_a_change_of_a_queue_figure_sends_the_whole_tile(quiet_sim: Sim) -> None:
    account = await database_sync_to_async(make_account)(quiet_sim)
    await database_sync_to_async(poll)(account)
    queue = await database_sync_to_async(Queue.objects.filter(account=account).first)()
    assert queue is not None
    async with Watcher(account) as watcher:
        quiet_sim.engine.add_waiting_call(queue.vendor_id, "+420601000111", "Jana Nováková")
        await database_sync_to_async(poll)(account)
        update = await watcher.receive()

    assert ("article", f"queue-{queue.pk}") in OOB.findall(update)
    assert f'id="queue-{queue.pk}-counts" class="agent-counts">' in update, "inside the tile"
    assert '<ol class="callers"><li><span class="caller">' in update, "the new caller"


async def test_count_lines_do_not_depend_on_what_this_process_rendered_before(
    quiet_sim: Sim,
) -> None:
    """Another worker's poll in between changes nothing: the store says which fields of
    each queue changed, so any process sends just the count lines."""
    account = await database_sync_to_async(make_account)(quiet_sim)
    await database_sync_to_async(poll)(account)
    vendor_id, agent, queue_pks = await database_sync_to_async(_idle_agent_in_queues)(
        quiet_sim, account
    )
    await database_sync_to_async(ProviderAccount.objects.filter(pk=account.pk).update)(
        seq=F("seq") + 1
    )
    async with Watcher(account) as watcher:
        quiet_sim.engine.set_status(vendor_id, AgentStatus.PAUSED, pause_id="7")
        await database_sync_to_async(poll)(account)
        update = await watcher.receive()

    found = OOB.findall(update)
    assert sorted(found[:-2]) == sorted(
        ("p", f"queue-{pk}-{line}") for pk in queue_pks for line in ("counts", "forecast")
    ), "the expected wait follows the agents taking calls"
    assert found[-2:] == [("article", f"agent-{agent.pk}"), ("div", f"seq-{account.pk}")]


def test_the_board_shows_the_markup_that_is_pushed(quiet_sim: Sim) -> None:
    account = make_account(quiet_sim)
    poll(account)
    client = Client()
    client.force_login(make_user("sup", "supervisor", accounts=(account,)))
    page = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("en"):
        for agent in Agent.objects.filter(account=account):
            agent.call = None  # type: ignore[attr-defined]
            assert agent_tile(agent) in page
        for queue in Queue.objects.filter(account=account):
            assert queue_counts(queue) in page
    section = page[page.index('<section id="account-') : page.index("</section>")]
    assert not re.search(r">\s+<", section), "no whitespace between tags"
