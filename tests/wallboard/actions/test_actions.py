"""Every action of DESIGN §4 through the console's endpoint, against the simulators: the
vendor's state really changes and the next poll shows it; unsupported ones are refused;
bad input never reaches the vendor."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from providers.model import AgentStatus
from tests.conftest import Sim, make_account, make_user
from wallboard.actions.models import AuditEntry
from wallboard.monitoring.models import ActiveCall, Agent, Membership, ProviderAccount, Queue
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class Center:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.account: ProviderAccount = make_account(sim)
        sim.advance(90)
        assert poll(self.account).ok
        self.client = Client()
        self.client.force_login(
            make_user("boss", "admin", accounts=(self.account,), extension="600")
        )

    def post(self, action: str, **data: Any) -> Any:
        return self.client.post(f"/actions/{self.account.pk}/{action}/", data)

    def poll(self) -> None:
        assert poll(self.account).ok

    def agent(self, status: AgentStatus) -> Agent:
        """An agent in ``status`` (matched by login: vendors use different ids)."""
        login = next(a.login for a in self.sim.engine.truth().agents if a.status is status)
        return Agent.objects.get(account=self.account, login=login)

    def truth_status(self, agent: Agent) -> AgentStatus:
        return next(a.status for a in self.sim.engine.truth().agents if a.login == agent.login)


@pytest.fixture
def daktela(daktela_sim: Sim) -> Center:
    return Center(daktela_sim)


def test_pause_with_a_reason_then_unpause(daktela: Center) -> None:
    agent = daktela.agent(AgentStatus.IDLE)
    lunch = daktela.account.pause_reasons.get(title="Lunch")
    response = daktela.post("pause", agent=agent.pk, reason=lunch.pk)
    assert response.status_code == 200, response.content
    assert b"Done" in response.content
    daktela.poll()
    agent.refresh_from_db()
    assert (agent.status, agent.pause_reason) == ("PAUSED", "Lunch")
    assert daktela.post("unpause", agent=agent.pk).status_code == 200
    daktela.poll()
    agent.refresh_from_db()
    assert agent.status == "IDLE"
    entry = AuditEntry.objects.filter(action="pause").get()
    assert entry.ok
    assert "Lunch" not in entry.error
    assert entry.target.startswith(f"agent {agent.vendor_id}")


def test_listen_in_rings_the_supervisors_own_extension(daktela: Center) -> None:
    agent = daktela.agent(AgentStatus.TALKING)
    assert daktela.post("listen", agent=agent.pk, mode="whisper").status_code == 200
    session = daktela.sim.engine.monitors[agent.vendor_id]  # Daktela ids are the engine's
    assert session.listener_extension == "600"
    assert session.mode == "whisper"


def test_transfer_a_call_to_a_queue(daktela: Center) -> None:
    call = ActiveCall.objects.filter(account=daktela.account, state="TALKING").first()
    assert call is not None
    target = Queue.objects.filter(account=daktela.account).exclude(pk=call.queue_id).first()
    response = daktela.post("transfer", call=call.pk, kind="blind", queue=target.pk)
    assert response.status_code == 200, response.content
    assert daktela.sim.engine.calls[call.call_id].queue_id == target.vendor_id


def test_hang_up_a_call(daktela: Center) -> None:
    call = ActiveCall.objects.filter(account=daktela.account, state="TALKING").first()
    assert call is not None
    assert daktela.post("hangup", call=call.pk).status_code == 200
    assert call.call_id not in daktela.sim.engine.calls
    daktela.poll()
    assert not ActiveCall.objects.filter(pk=call.pk).exists()


def test_log_an_agent_into_and_out_of_a_queue(daktela: Center) -> None:
    agent = daktela.agent(AgentStatus.IDLE)
    queue = Queue.objects.filter(account=daktela.account).exclude(memberships__agent=agent).first()
    assert daktela.post("queue_login", agent=agent.pk, queue=queue.pk, penalty=1).status_code == 200
    daktela.poll()
    member = Membership.objects.get(agent=agent, queue=queue)
    assert (member.logged_in, member.penalty) == (True, 1)
    assert daktela.post("queue_logout", agent=agent.pk, queue=queue.pk).status_code == 200
    daktela.poll()
    assert not Membership.objects.filter(agent=agent, queue=queue, logged_in=True).exists()


def test_a_logout_during_a_call_is_refused_in_plain_words(daktela: Center) -> None:
    agent = daktela.agent(AgentStatus.TALKING)
    call = ActiveCall.objects.get(account=daktela.account, agent=agent)
    response = daktela.post("queue_logout", agent=agent.pk, queue=call.queue_id)
    assert response.status_code == 409
    assert "call" in response.content.decode().lower()
    assert not AuditEntry.objects.get(action="queue_logout").ok


def test_agent_logout_and_login(daktela: Center) -> None:
    agent = daktela.agent(AgentStatus.IDLE)
    assert daktela.post("agent_logout", agent=agent.pk).status_code == 200
    assert daktela.truth_status(agent) is AgentStatus.OFFLINE
    assert daktela.post("agent_login", agent=agent.pk).status_code == 200
    assert daktela.truth_status(agent) is not AgentStatus.OFFLINE


def test_click_to_call(daktela: Center) -> None:
    agent = daktela.agent(AgentStatus.IDLE)
    assert daktela.post("originate", agent=agent.pk, number="+420800123456").status_code == 200
    assert daktela.truth_status(agent) in (AgentStatus.DIALING, AgentStatus.TALKING)


def test_an_action_the_vendor_lacks_is_refused_clearly(daktela: Center) -> None:
    agent = daktela.agent(AgentStatus.IDLE)
    queue = Queue.objects.filter(account=daktela.account).first()
    response = daktela.post("set_default_campaign", agent=agent.pk, queue=queue.pk)
    assert response.status_code == 400
    assert "Daktela does not support" in response.content.decode()


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("pause", {"agent": "999999"}, "valid choice"),
        ("pause", {}, "required"),
        ("queue_login", {"queue": "first", "penalty": "7"}, "penalty from 0 to 2"),
        ("queue_login", {"queue": "first", "penalty": "x"}, "whole number"),
        ("originate", {"number": "80012345a"}, "phone number"),
        ("originate", {"number": "1" * 200}, "at most"),
        ("transfer", {"kind": "blind"}, "exactly one target"),
        ("transfer", {"kind": "sideways", "number": "123"}, "valid choice"),
        ("listen", {"mode": "shout"}, "valid choice"),
        ("no_such_action", {}, "Unknown action"),
    ],
)
def test_bad_input_is_a_400_and_nothing_reaches_the_vendor(
    daktela: Center, action: str, data: dict[str, str], message: str
) -> None:
    agent = daktela.agent(AgentStatus.IDLE)
    call = ActiveCall.objects.filter(account=daktela.account).exclude(agent=None).first()
    filled = {"agent": str(agent.pk), "call": str(call.pk) if call else "", **data}
    if filled.get("queue") == "first":
        filled["queue"] = str(Queue.objects.filter(account=daktela.account).first().pk)
    if action == "pause" and not data:
        filled = {}
    before = daktela.sim.server.total_requests
    response = daktela.post(action, **filled)
    assert response.status_code in (400, 404)
    assert message in response.content.decode()
    assert daktela.sim.server.total_requests == before


def test_spikon_membership_default_campaign_and_click_to_call(start_sim: Any) -> None:
    spikon = Center(start_sim("spikon"))
    agent = spikon.agent(AgentStatus.IDLE)
    queue = Queue.objects.filter(account=spikon.account).exclude(memberships__agent=agent).first()
    assert spikon.post("queue_login", agent=agent.pk, queue=queue.pk).status_code == 200
    spikon.poll()
    assert Membership.objects.filter(agent=agent, queue=queue).exists()
    assert spikon.post("queue_logout", agent=agent.pk, queue=queue.pk).status_code == 200
    spikon.poll()
    assert not Membership.objects.filter(agent=agent, queue=queue).exists()
    assert spikon.post("originate", agent=agent.pk, number="600123456").status_code == 200
    response = spikon.post("pause", agent=agent.pk)
    assert response.status_code == 400
    assert "SPIKON does not support" in response.content.decode()


def test_voipsun_pause_listen_membership_and_hangup(start_sim: Any) -> None:
    voipsun = Center(start_sim("voipsun"))
    agent = voipsun.agent(AgentStatus.IDLE)
    assert voipsun.post("pause", agent=agent.pk).status_code == 200
    assert voipsun.truth_status(agent) is AgentStatus.PAUSED
    assert voipsun.post("unpause", agent=agent.pk).status_code == 200
    assert voipsun.truth_status(agent) is AgentStatus.IDLE

    talking = voipsun.agent(AgentStatus.TALKING)
    assert voipsun.post("listen", agent=talking.pk, mode="spy").status_code == 200
    assert voipsun.post("listen", agent=talking.pk, mode="barge").status_code == 400

    queue = Queue.objects.filter(account=voipsun.account).exclude(memberships__agent=agent).first()
    assert voipsun.post("queue_login", agent=agent.pk, queue=queue.pk, penalty=3).status_code == 200
    voipsun.poll()
    assert Membership.objects.get(agent=agent, queue=queue).penalty == 3

    call = ActiveCall.objects.filter(account=voipsun.account).exclude(agent=None).first()
    assert call is not None
    assert voipsun.post("hangup", call=call.pk).status_code == 200
    voipsun.poll()
    assert not ActiveCall.objects.filter(account=voipsun.account, call_id=call.call_id).exists()

    response = voipsun.post("transfer", call=call.pk, kind="blind", number="123")
    assert response.status_code in (400, 404)
