"""poll_once over real HTTP against the Daktela simulator, into the real PostgreSQL."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers.model import AgentStatus
from tests.conftest import Sim, make_account
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.models import (
    Agent,
    AgentStatusSpan,
    PollLog,
    ProviderAccount,
    Queue,
    QueueSample,
)
from wallboard.monitoring.poll import poll_once
from wallboard.monitoring.state import state_json

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

STATE_TABLES = re.compile(
    r"monitoring_(queue|agent|membership|waitingcall|activecall|pausereason|agentstatusspan|queuesample)\b"
)


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and STATE_TABLES.search(q["sql"])
    ]


def test_first_poll_stores_what_the_simulator_holds(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    result = poll_once(account, on_commit=ignore)
    assert result.ok, result.error
    truth = daktela_sim.engine.truth()
    state = state_json(ProviderAccount.objects.get(pk=account.pk))
    assert {q["id"] for q in state["queues"]} == {q.id for q in truth.queues}
    assert {a["id"]: a["status"] for a in state["agents"]} == {
        a.id: a.status.value for a in truth.agents
    }
    assert sum(q["calls_waiting"] or 0 for q in state["queues"]) == len(truth.waiting_calls)
    assert AgentStatusSpan.objects.count() == len(truth.agents)


def test_an_unchanged_call_center_writes_nothing(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    poll_once(account, on_commit=ignore)
    spans, samples = AgentStatusSpan.objects.count(), QueueSample.objects.count()
    seq = ProviderAccount.objects.get(pk=account.pk).seq
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            result = poll_once(account, on_commit=ignore)
        assert result.ok
        assert result.changes == 0
        assert _writes(queries) == []
    assert ProviderAccount.objects.get(pk=account.pk).seq == seq
    assert (AgentStatusSpan.objects.count(), QueueSample.objects.count()) == (spans, samples)


def test_one_agent_change_writes_that_agent_and_one_span(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    poll_once(account, on_commit=ignore)
    engine = daktela_sim.engine
    agent_id = next(a.id for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    engine.set_status(agent_id, AgentStatus.PAUSED, pause_id="7")
    spans = AgentStatusSpan.objects.count()
    with CaptureQueriesContext(connection) as queries:
        result = poll_once(account, on_commit=ignore)
    assert result.ok
    assert result.changes >= 1
    agent = Agent.objects.get(account=account, vendor_id=agent_id)
    assert agent.status == AgentStatus.PAUSED
    assert agent.pause_reason == "Lunch"
    assert AgentStatusSpan.objects.count() == spans + 1
    closed = AgentStatusSpan.objects.filter(agent=agent).order_by("started_at")
    assert closed[0].ended_at == closed[1].started_at
    assert not any("monitoring_waitingcall" in sql for sql in _writes(queries))


def test_a_failing_provider_goes_stale_keeps_data_and_recovers(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    poll_once(account, on_commit=ignore)
    agents = Agent.objects.count()
    good = ProviderAccount.objects.get(pk=account.pk).last_success_at

    daktela_sim.server.faults.status = 500
    failed = poll_once(account, on_commit=ignore)
    assert not failed.ok
    stale = ProviderAccount.objects.get(pk=account.pk)
    assert stale.stale
    assert stale.last_success_at == good
    assert "500" in stale.last_error
    assert Agent.objects.count() == agents
    assert stale.next_poll_at > stale.last_attempt_at
    again = poll_once(account, on_commit=ignore)
    backed_off = ProviderAccount.objects.get(pk=account.pk)
    assert not again.ok
    assert backed_off.consecutive_failures == 2
    assert (backed_off.next_poll_at - backed_off.last_attempt_at) > (
        stale.next_poll_at - stale.last_attempt_at
    )

    daktela_sim.server.faults.clear()
    assert poll_once(account, on_commit=ignore).ok
    recovered = ProviderAccount.objects.get(pk=account.pk)
    assert not recovered.stale
    assert recovered.last_error == ""
    assert list(PollLog.objects.filter(account=account).values_list("ok", flat=True)) == [
        True,
        False,
        False,
    ]


def test_wrong_credentials_read_as_an_auth_error(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim, secrets={"password": "wrong"})
    result = poll_once(account, on_commit=ignore)
    assert not result.ok
    assert "credentials" in (result.error or "").lower() or "Uživatel" in (result.error or "")
    assert "wrong" not in (result.error or "")
    assert Queue.objects.filter(account=account).count() == 0
