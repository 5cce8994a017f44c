"""Who may do what, enforced on the server: roles, scope, CSRF, sockets."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from providers.model import AgentStatus
from tests.conftest import Sim, make_account, make_user
from wallboard.actions.models import AuditEntry
from wallboard.asgi import application
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import Agent, Queue
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def center(daktela_sim: Sim) -> dict[str, Any]:
    account = make_account(daktela_sim)
    poll(account)
    agents = list(Agent.objects.filter(account=account).exclude(status="OFFLINE"))
    return {"sim": daktela_sim, "account": account, "me": agents[0], "other": agents[1]}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pause(client: Client, account: Any, agent: Agent) -> int:
    reason = account.pause_reasons.exclude(type="wrap").first()
    response = client.post(
        f"/actions/{account.pk}/pause/", {"agent": agent.pk, "reason": reason.pk}
    )
    return response.status_code


def test_an_agent_may_pause_themself_but_not_a_colleague(center: dict[str, Any]) -> None:
    account, me, other = center["account"], center["me"], center["other"]
    client = _client(make_user("me", "agent", agent=me))
    assert _pause(client, account, other) == 403
    assert _pause(client, account, me) == 200
    statuses = {a.id: a.status for a in center["sim"].engine.truth().agents}
    assert statuses[me.vendor_id] is AgentStatus.PAUSED
    assert statuses[other.vendor_id] is not AgentStatus.PAUSED


def test_an_agent_may_not_use_supervisor_actions_on_themself(center: dict[str, Any]) -> None:
    account, me = center["account"], center["me"]
    client = _client(make_user("me", "agent", agent=me, extension="600"))
    response = client.post(f"/actions/{account.pk}/listen/", {"agent": me.pk, "mode": "spy"})
    assert response.status_code == 403


def test_a_viewer_never_acts(center: dict[str, Any]) -> None:
    account = center["account"]
    client = _client(make_user("tv", "viewer", accounts=(account,)))
    assert _pause(client, account, center["me"]) == 403


def test_without_a_login_every_action_is_refused(center: dict[str, Any]) -> None:
    assert _pause(Client(), center["account"], center["me"]) == 403


def test_a_supervisor_outside_their_accounts_is_refused(
    center: dict[str, Any], start_sim: Any
) -> None:
    elsewhere = make_account(start_sim("daktela"), name="elsewhere")
    client = _client(make_user("sup", "supervisor", accounts=(elsewhere,)))
    assert _pause(client, center["account"], center["me"]) == 403


def test_a_supervisor_scoped_to_queues_acts_only_on_their_members(
    center: dict[str, Any],
) -> None:
    account = center["account"]
    queue = Queue.objects.filter(account=account).first()
    members = Agent.objects.filter(memberships__queue=queue)
    outsider = Agent.objects.filter(account=account).exclude(pk__in=members).first()
    client = _client(make_user("sup", "supervisor", accounts=(account,), queues=(queue,)))
    assert outsider is not None
    assert _pause(client, account, outsider) == 403
    assert _pause(client, account, members.first()) == 200


def test_a_post_without_the_csrf_token_is_refused(center: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("adm", "admin", accounts=(center["account"],)))
    assert _pause(client, center["account"], center["me"]) == 403


def test_refusals_are_audited_without_secrets(center: dict[str, Any]) -> None:
    account, other = center["account"], center["other"]
    client = _client(make_user("me", "agent", agent=center["me"]))
    client.post(f"/actions/{account.pk}/pause/", {"agent": other.pk, "pin": "9999"})
    entry = AuditEntry.objects.get()
    assert not entry.ok
    assert entry.username == "me"
    assert entry.role == "agent"
    assert "pin" not in entry.params


def _ws(path: str, cookie: str | None = None, origin: str = "http://localhost") -> Any:
    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def test_a_tv_link_opens_a_socket_until_it_is_revoked(center: dict[str, Any]) -> None:
    def make_link() -> TvLink:
        board = Board.objects.create(name="Wall")
        board.accounts.add(center["account"])
        return TvLink.objects.create(board=board)

    link = await database_sync_to_async(make_link)()
    comm = _ws(f"/ws/tv/{link.token}/")
    assert (await comm.connect())[0]
    assert "account-" in await comm.receive_from(timeout=5)
    await database_sync_to_async(link.revoke)()
    closed = await comm.receive_output(timeout=5)
    assert closed["type"] == "websocket.close"
    again = _ws(f"/ws/tv/{link.token}/")
    assert not (await again.connect())[0]


async def test_a_forged_tv_token_is_refused() -> None:
    comm = _ws("/ws/tv/not-a-real-token/")
    assert not (await comm.connect())[0]


async def test_logging_out_closes_the_open_socket(center: dict[str, Any]) -> None:
    def login() -> tuple[Client, str]:
        user = make_user("sup", "supervisor", accounts=(center["account"],))
        client = Client()
        client.force_login(user)
        return client, client.cookies["sessionid"].value

    client, cookie = await database_sync_to_async(login)()
    comm = _ws("/ws/board/", cookie)
    assert (await comm.connect())[0]
    await comm.receive_from(timeout=5)
    await database_sync_to_async(client.post)("/logout/")
    closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4403}


def test_reports_and_audit_are_for_supervisors_within_scope(
    center: dict[str, Any], start_sim: Any
) -> None:
    account = center["account"]
    agent = _client(make_user("me", "agent", agent=center["me"]))
    assert agent.get(f"/reports/{account.pk}/").status_code == 403
    assert agent.get("/audit/").status_code == 403
    elsewhere = make_account(start_sim("daktela"), name="elsewhere")
    outsider = _client(make_user("sup", "supervisor", accounts=(elsewhere,)))
    assert outsider.get(f"/reports/{account.pk}/").status_code == 404
    inside = _client(make_user("sup2", "supervisor", accounts=(account,)))
    assert inside.get(f"/reports/{account.pk}/").status_code == 200
