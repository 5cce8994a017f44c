"""The SQL statements a fed agent change and a quiet poll cost end to end (store, push with
one screen watching, alerts), issue 12 §4: the counts are deterministic, so a change that
adds a statement to either hot path fails here (ADR 031 says what each one is)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from providers.model import Agent as Reading
from providers.model import AgentStatus
from tests.conftest import Sim, make_account
from tests.wallboard.dashboards.test_fragments import Watcher
from tools.bench.harness import screens
from wallboard.dashboards.forecast import plan_key
from wallboard.live.presence import Watch
from wallboard.monitoring.feeds import apply_agent_changes
from wallboard.monitoring.models import ActiveCall, Agent, ProviderAccount, Queue
from wallboard.monitoring.read_model import cached_state
from wallboard.wiring.pipeline import after_commit, poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# BEGIN, the account locked with its next seq taken, the agent's row written (the stored
# state and the rows' pks say what it holds), its spans (one statement), COMMIT. The push
# reads nothing more: who is on a call comes with the stored state, which widgets to render
# with what the screens watch; an agent's change moves no alert.
FED_CHANGE = 5
# After a poll in another process moved the seq: the changed agent's row is read (not the
# whole account), with whether they are on a call, in one statement.
FED_CHANGE_AFTER_A_POLL_ELSEWHERE = 6
# BEGIN, the account locked and saved, COMMIT; the alerts read the boards.
QUIET_POLL = 5


@pytest.fixture
def watched(start_sim: Any, settings: Any) -> Iterator[tuple[Sim, ProviderAccount]]:
    settings.LIVE_HEARTBEAT_S = 3600
    sim: Sim = start_sim("daktela", calls_per_min_per_queue=0, pause_rate_per_hour=0)
    account = make_account(sim)
    poll(account)
    with screens(Watch(account.pk, "en")):
        yield sim, ProviderAccount.objects.get(pk=account.pk)


def _statements(captured: CaptureQueriesContext) -> str:
    return "\n".join(q["sql"][:90] for q in captured.captured_queries)


def _first_agent(account: ProviderAccount) -> tuple[Agent, Reading]:
    agent = Agent.objects.filter(account=account).order_by("pk").first()
    assert agent is not None
    return agent, cached_state(account)[0].agents[agent.vendor_id]


def _reading(held: Reading, k: int) -> Reading:
    """The k-th change of ``held``: paused and ready in turn, each a minute later."""
    status = AgentStatus.PAUSED if k % 2 == 0 else AgentStatus.IDLE
    assert held.status_since is not None
    return dataclasses.replace(
        held, status=status, raw_status=status.value.lower(),
        status_since=held.status_since + timedelta(minutes=k + 1),
    )  # fmt: skip


def test_a_fed_agent_change_costs_a_fixed_number_of_statements(
    watched: tuple[Sim, ProviderAccount],
) -> None:
    _sim, account = watched
    _agent, held = _first_agent(account)
    counts = []
    for k in range(3):  # the first one prepares what the next ones reuse
        with CaptureQueriesContext(connection) as captured:
            assert apply_agent_changes(account.pk, [_reading(held, k)], on_commit=after_commit)
        counts.append(len(captured.captured_queries))
    assert counts[-1] == FED_CHANGE, _statements(captured)


def test_a_fed_change_after_a_poll_elsewhere_reads_only_its_agent(
    watched: tuple[Sim, ProviderAccount],
) -> None:
    _sim, account = watched
    agent, held = _first_agent(account)
    for k in range(2):  # neither change leaves this process holding the stored state
        ProviderAccount.objects.filter(pk=account.pk).update(seq=F("seq") + 1)
        reading = _reading(held, k)
        with CaptureQueriesContext(connection) as captured:
            assert apply_agent_changes(account.pk, [reading], on_commit=after_commit) == 1
        assert len(captured.captured_queries) == FED_CHANGE_AFTER_A_POLL_ELSEWHERE, _statements(
            captured
        )
        assert Agent.objects.get(pk=agent.pk).status == reading.status.value
    # The same reading again: nothing to write, and the seq it took is given back.
    seq = ProviderAccount.objects.get(pk=account.pk).seq
    assert apply_agent_changes(account.pk, [reading], on_commit=after_commit) == 0
    assert ProviderAccount.objects.get(pk=account.pk).seq == seq


def test_a_quiet_poll_costs_a_fixed_number_of_statements(
    watched: tuple[Sim, ProviderAccount],
) -> None:
    sim, account = watched
    sim.advance(2)
    with CaptureQueriesContext(connection) as captured:
        assert poll(account).changes == 0
    assert len(captured.captured_queries) == QUIET_POLL, _statements(captured)


@pytest.mark.parametrize("after_a_poll_elsewhere", [False, True])
async def test_a_fed_change_of_an_agent_on_a_call_shows_the_call(
    watched: tuple[Sim, ProviderAccount], after_a_poll_elsewhere: bool
) -> None:
    """The one agent whose calls the push reads: the stored state says they are on one
    (after a poll elsewhere, the read of the changed agent does)."""
    sim, account = watched
    queue = await database_sync_to_async(lambda: Queue.objects.filter(account=account).first())()
    assert queue is not None
    sim.engine.add_waiting_call(queue.vendor_id, "+420601000111")
    sim.advance(3)
    await database_sync_to_async(poll)(account)
    call = await database_sync_to_async(
        lambda: ActiveCall.objects.select_related("agent").exclude(agent=None).get()
    )()
    held = (await database_sync_to_async(_held)(account))[call.agent.vendor_id]
    if after_a_poll_elsewhere:
        await ProviderAccount.objects.filter(pk=account.pk).aupdate(seq=F("seq") + 1)
    async with Watcher(account) as watcher:
        renamed = dataclasses.replace(held, name="Renamed On Call")
        stored = await database_sync_to_async(apply_agent_changes)(
            account.pk, [renamed], on_commit=after_commit
        )
        assert stored == 1
        update = await watcher.receive()
    tile = update[update.index(f'id="agent-{call.agent.pk}"') :]
    assert "Renamed On Call" in tile
    assert '<span class="agent-call">↘ +420601000111' in tile


def _held(account: ProviderAccount) -> dict[str, Reading]:
    return cached_state(ProviderAccount.objects.get(pk=account.pk))[0].agents


async def test_a_change_that_touched_no_queue_neither_reads_nor_shows_a_forecast(
    watched: tuple[Sim, ProviderAccount],
) -> None:
    """The plan is read (and computed again once a minute) by changes that show a queue;
    a fed agent's change shows none."""
    sim, account = watched
    await database_sync_to_async(cache.delete)(plan_key(account.pk))
    held = next(iter((await database_sync_to_async(_held)(account)).values()))
    async with Watcher(account) as watcher:
        renamed = dataclasses.replace(held, name="Renamed")
        assert await database_sync_to_async(apply_agent_changes)(
            account.pk, [renamed], on_commit=after_commit
        )
        fed = await watcher.receive()
        assert "-forecast" not in fed
        assert await database_sync_to_async(cache.get)(plan_key(account.pk)) is None

        queue = await database_sync_to_async(
            lambda: Queue.objects.filter(account=account).first()
        )()
        assert queue is not None
        sim.engine.add_waiting_call(queue.vendor_id, "+420601000222")
        await database_sync_to_async(poll)(account)
        polled = await watcher.receive()
    assert await database_sync_to_async(cache.get)(plan_key(account.pk)) is not None
    queues = await database_sync_to_async(lambda: list(Queue.objects.filter(account=account)))()
    for each in queues:  # the plan was computed again: every queue's forecast is sent
        assert f"queue-{each.pk}-forecast" in polled
