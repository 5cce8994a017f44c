"""A supervisor (or viewer) scoped to some queues of an account sees those queues, their
members, their callers and those members' calls, and acts on nothing else: through every
HTTP path (issue 15, findings 1 and 2 and "queue scope means visibility").

The Daktela simulator (seed 3) has Support (queue 1) with zeman, ruzicka3, lewandowski,
ruzicka, kolar and marek; novak and zielinski are only in Billing, kolar2 and ruzicka2
only in Sales, fiala and pokorny in Sales and Billing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from providers.model import AgentStatus
from tests.admin_forms import submit_admin_form
from tests.conftest import Sim, make_account, make_user
from wallboard.actions.models import AuditEntry
from wallboard.asgi import application
from wallboard.monitoring.models import ActiveCall, Agent, Membership, ProviderAccount, Queue
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@dataclass
class Team:
    sim: Sim
    account: ProviderAccount
    support: Queue
    billing: Queue
    sales: Queue

    def agent(self, login: str) -> Agent:
        return Agent.objects.get(account=self.account, login=login)

    def call_of(self, login: str) -> ActiveCall:
        return ActiveCall.objects.get(account=self.account, agent__login=login)

    @property
    def members(self) -> set[str]:
        return set(
            Agent.objects.filter(memberships__queue=self.support).values_list("login", flat=True)
        )

    def engine_queues_of(self, login: str) -> set[str]:
        """The queues the simulator has the agent logged into (its own truth)."""
        agent = next(a for a in self.sim.engine.truth().agents if a.login == login)
        return {m.queue_id for m in self.sim.engine.truth().memberships if m.agent_id == agent.id}


@pytest.fixture
def team(daktela_sim: Sim) -> Team:
    account = make_account(daktela_sim)
    daktela_sim.advance(90)
    assert poll(account).ok
    queues = {q.name: q for q in Queue.objects.filter(account=account)}
    team = Team(daktela_sim, account, queues["Support"], queues["Billing"], queues["Sales"])
    # The cases below rely on the seeded simulator's layout; say so plainly if it changes.
    assert team.members == {"zeman", "ruzicka3", "lewandowski", "ruzicka", "kolar", "marek"}
    assert team.call_of("pokorny").queue == team.billing
    assert team.call_of("ruzicka3").queue == team.sales
    return team


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _scoped(team: Team, role: str = "supervisor", name: str = "sup") -> Client:
    return _client(
        make_user(name, role, accounts=(team.account,), queues=(team.support,), extension="600")
    )


def _act(client: Client, team: Team, action: str, **data: Any) -> int:
    return client.post(f"/actions/{team.account.pk}/{action}/", data).status_code


def _scope_in_admin(admin: Client, user: Any, **fields: list[str]) -> None:
    """Edit a person's profile in ``/admin/`` the way an admin does: open the change page,
    change the profile inline's fields, save."""
    changes = {f"profile-0-{name}": value for name, value in fields.items()}
    submit_admin_form(admin, f"/admin/auth/user/{user.pk}/change/", changes)


@pytest.fixture
def admin_made(team: Team) -> tuple[Client, Any]:
    """A supervisor of Support made in the admin: role, account and queue set in the form."""
    admin = _client(get_user_model().objects.create_superuser("root", password="pw"))
    user = make_user("sup", "viewer")
    _scope_in_admin(
        admin,
        user,
        role=["supervisor"],
        extension=["600"],
        accounts=[str(team.account.pk)],
        queues=[str(team.support.pk)],
    )
    assert set(user.profile.queues.all()) == {team.support}
    return _client(user), user


# -- finding 1: a call is acted on only when its agent or its queue is in scope ------------


def test_a_call_outside_the_scope_cannot_be_transferred_into_it(
    team: Team, admin_made: tuple[Client, Any]
) -> None:
    client, _user = admin_made
    call = team.call_of("pokorny")  # Billing call, agent only in Sales and Billing
    assert _act(client, team, "hangup", call=call.pk) == 403
    assert _act(client, team, "transfer", call=call.pk, kind="blind", number="123") == 403
    assert _act(client, team, "transfer", call=call.pk, kind="blind", queue=team.support.pk) == 403
    assert team.sim.engine.calls[call.call_id].queue_id == team.billing.vendor_id
    assert not AuditEntry.objects.filter(ok=True).exists()


def test_a_call_in_scope_goes_only_to_destinations_in_scope(
    team: Team, admin_made: tuple[Client, Any]
) -> None:
    client, _user = admin_made
    call = team.call_of("ruzicka3")  # a Sales call of a Support member: in scope
    refused = [
        {"queue": team.billing.pk},
        {"user": team.agent("novak").pk},
        {"number": team.billing.number},  # Billing's own number
        {"number": team.agent("novak").extension},
    ]
    for destination in refused:
        assert _act(client, team, "transfer", call=call.pk, kind="blind", **destination) == 403
    assert team.sim.engine.calls[call.call_id].queue_id == team.sales.vendor_id
    assert _act(client, team, "transfer", call=call.pk, kind="blind", queue=team.support.pk) == 200
    assert team.sim.engine.calls[call.call_id].queue_id == team.support.vendor_id


# -- finding 2: an agent must be in scope before anything is done to them ------------------


def test_an_agent_outside_the_scope_cannot_be_logged_into_it(
    team: Team, admin_made: tuple[Client, Any]
) -> None:
    client, _user = admin_made
    novak = team.agent("novak")
    reason = team.account.pause_reasons.exclude(type="wrap").first()
    assert _act(client, team, "queue_login", agent=novak.pk, queue=team.support.pk) == 403
    assert team.support.vendor_id not in team.engine_queues_of("novak")
    assert not Membership.objects.filter(agent=novak, queue=team.support).exists()
    assert _act(client, team, "pause", agent=novak.pk, reason=reason.pk) == 403
    assert _act(client, team, "listen", agent=novak.pk, mode="spy") == 403
    assert client.get(f"/console/agent/{novak.pk}/").status_code == 403


def test_an_agent_in_scope_is_not_moved_in_queues_out_of_scope(
    team: Team, admin_made: tuple[Client, Any]
) -> None:
    client, _user = admin_made
    marek, zeman = team.agent("marek"), team.agent("zeman")
    assert _act(client, team, "queue_login", agent=marek.pk, queue=team.billing.pk) == 403
    assert _act(client, team, "queue_logout", agent=zeman.pk, queue=team.billing.pk) == 403
    assert team.billing.vendor_id in team.engine_queues_of("zeman")
    assert team.billing.vendor_id not in team.engine_queues_of("marek")


# -- visibility -----------------------------------------------------------------------------


def _ids(html: str, kind: str) -> set[int]:
    return {int(pk) for pk in re.findall(rf'id="{kind}-(\d+)"', html)}


def _pks(queryset: Any) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("role", ["supervisor", "viewer"])
def test_the_board_shows_only_the_queues_in_scope_and_their_members(team: Team, role: str) -> None:
    client = _scoped(team, role)
    members = _pks(Agent.objects.filter(memberships__queue=team.support))
    html = client.get("/board/").content.decode()
    assert _ids(html, "queue") == {team.support.pk}
    assert _ids(html, "agent") == members
    # Asking for more does not widen it.
    wider = client.get("/board/", {"queue": [team.billing.pk, team.sales.pk]}).content.decode()
    assert _ids(wider, "queue") == set()
    assert _ids(wider, "agent") == set()


def test_the_console_lists_and_shows_only_the_queues_in_scope(team: Team) -> None:
    client = _scoped(team)
    html = client.get("/console/").content.decode()
    assert _ids(html, "queue") == {team.support.pk}
    assert _ids(html, "agent") == _pks(Agent.objects.filter(memberships__queue=team.support))
    options = re.findall(r'<option value="(\d+)"[^>]*>[^<]*· ([^<]*)</option>', html)
    assert [name for _pk, name in options] == ["Support"]


def test_the_agent_panel_offers_only_what_is_in_scope(team: Team) -> None:
    client = _scoped(team)
    ruzicka3 = team.agent("ruzicka3")  # in Support and Sales, on a Sales call
    html = client.get(f"/console/agent/{ruzicka3.pk}/").content.decode()
    queue_options = set(re.findall(r'<select name="queue">(.*?)</select>', html, re.S))
    offered = {int(pk) for block in queue_options for pk in re.findall(r'value="(\d+)"', block)}
    assert offered <= {team.support.pk}
    (agents_block,) = re.findall(r'<select name="user">(.*?)</select>', html, re.S)
    colleagues = {int(pk) for pk in re.findall(r'value="(\d+)"', agents_block)}
    assert colleagues == _pks(Agent.objects.filter(memberships__queue=team.support)) - {ruzicka3.pk}
    assert "Billing" not in html


def test_the_state_api_holds_only_what_is_in_scope(team: Team) -> None:
    client = _scoped(team)
    state = client.get(f"/api/v1/accounts/{team.account.pk}/state").json()
    assert [q["id"] for q in state["queues"]] == [team.support.vendor_id]
    assert {a["login"] for a in state["agents"]} == team.members
    for agent in state["agents"]:
        assert agent["queues"] == [team.support.vendor_id]
        assert [m["queue"] for m in agent["memberships"]] == [team.support.vendor_id]
    member_ids = {a["id"] for a in state["agents"]}
    assert state["active_calls"]
    for call in state["active_calls"]:
        assert call["agent"] in member_ids or call["queue"] == team.support.vendor_id
    assert "pokorny" not in {c["agent"] for c in state["active_calls"]}
    for waiting in state["waiting_calls"]:
        assert waiting["queue"] == team.support.vendor_id
    everything = _client(make_user("boss", "admin")).get(
        f"/api/v1/accounts/{team.account.pk}/state"
    )
    assert len(everything.json()["queues"]) == 3


def test_an_account_with_none_of_the_scoped_queues_is_not_seen(team: Team, start_sim: Any) -> None:
    other = make_account(start_sim("daktela"), name="Other")
    client = _client(
        make_user("sup", "supervisor", accounts=(team.account, other), queues=(team.support,))
    )
    assert client.get(f"/api/v1/accounts/{other.pk}/state").status_code == 404
    assert _ids(client.get("/board/").content.decode(), "account") == {team.account.pk}
    assert client.get(f"/reports/{other.pk}/").status_code == 404


def test_reports_and_their_csvs_hold_only_what_is_in_scope(team: Team) -> None:
    client = _scoped(team)
    url = f"/reports/{team.account.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Billing" not in html
    assert "novak" not in html

    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(client.get(url + name).content.decode())))

    agents = rows("agents.csv")
    assert agents
    assert {row["login"] for row in agents} <= team.members
    queues = rows("queues.csv")
    assert {row["queue_name"] for row in queues} == {"Support"}


def test_the_audit_log_shows_only_entries_in_scope(team: Team) -> None:
    boss = _client(make_user("boss", "admin", extension="601"))
    reason = team.account.pause_reasons.exclude(type="wrap").first()
    novak, marek, zielinski = team.agent("novak"), team.agent("marek"), team.agent("zielinski")
    assert _act(boss, team, "pause", agent=novak.pk, reason=reason.pk) == 200
    assert _act(boss, team, "hangup", call=team.call_of("pokorny").pk) == 200
    assert _act(boss, team, "pause", agent=marek.pk, reason=reason.pk) == 200
    assert _act(boss, team, "hangup", call=team.call_of("zeman").pk) == 200
    client = _scoped(team)
    assert _act(client, team, "pause", agent=zielinski.pk, reason=reason.pk) == 403
    html = client.get("/audit/").content.decode()
    # marek's pause, zeman's call, and the supervisor's own refused attempt
    assert len(re.findall(r'<tr class="(?:ok|error)">', html)) == 3
    assert f"agent {marek.vendor_id} " in html
    assert f"agent {team.agent('zeman').vendor_id} " in html
    assert f"agent {novak.vendor_id} " not in html
    assert f"agent {team.agent('pokorny').vendor_id} " not in html


async def test_the_full_state_on_a_socket_holds_only_what_is_in_scope(team: Team) -> None:
    def login() -> str:
        client = _scoped(team)
        return client.cookies["sessionid"].value

    cookie = await database_sync_to_async(login)()
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    headers.append((b"cookie", f"sessionid={cookie}".encode()))
    comm = WebsocketCommunicator(application, "/ws/board/", headers=headers)
    assert (await comm.connect())[0]
    html = await comm.receive_from(timeout=5)
    await comm.disconnect()
    assert _ids(html, "queue") == {team.support.pk}


async def _scoped_socket(team: Team) -> WebsocketCommunicator:
    def login() -> str:
        return str(_scoped(team).cookies["sessionid"].value)

    cookie = await database_sync_to_async(login)()
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    headers.append((b"cookie", f"sessionid={cookie}".encode()))
    comm = WebsocketCommunicator(application, "/ws/board/", headers=headers)
    assert (await comm.connect())[0]
    await comm.receive_from(timeout=5)  # the full state
    return comm


async def test_pushed_changes_carry_only_what_is_in_scope(team: Team) -> None:
    """A change out of the scope sends the socket the account's marker alone; one inside it,
    the agent's tile as well."""
    comm = await _scoped_socket(team)
    outside = await database_sync_to_async(team.agent)("novak")
    inside = await database_sync_to_async(team.agent)("zeman")
    for agent in (outside, inside):
        team.sim.engine.set_status(agent.vendor_id, AgentStatus.PAUSED, pause_id="7")
        team.sim.advance(2)
        assert (await database_sync_to_async(poll)(team.account)).ok
    first = await comm.receive_from(timeout=5)
    second = await comm.receive_from(timeout=5)
    await comm.disconnect()
    assert f'id="seq-{team.account.pk}"' in first
    assert f'id="agent-{outside.pk}"' not in first + second
    assert f'id="queue-{team.billing.pk}' not in first + second
    assert f'id="agent-{inside.pk}"' in second
