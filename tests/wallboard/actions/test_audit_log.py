"""The audit log's Action filter offers the actions taken on what the reader sees, each
once; text posted to ``/actions/<id>/<anything>/`` is a 404 and no audit entry (issue 15,
finding 8)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import Sim, make_account, make_user
from wallboard.actions.models import AuditEntry
from wallboard.monitoring.models import Agent
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _offered(client: Client) -> list[str]:
    html = client.get("/audit/").content.decode()
    (select,) = re.findall(r'<select name="action">(.*?)</select>', html, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)[1:]


def test_an_unknown_action_is_a_404_and_not_logged(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    client = _client(make_user("boss", "admin"))
    response = client.post(f"/actions/{account.pk}/drop_tables<script>/", {"agent": "1"})
    assert response.status_code == 404
    assert "Unknown action" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_the_action_filter_lists_known_actions_on_visible_accounts_once(
    daktela_sim: Sim, start_sim: Any
) -> None:
    mine = make_account(daktela_sim, name="Mine")
    theirs = make_account(start_sim("daktela"), name="Theirs")
    for account in (mine, theirs):
        assert poll(account).ok
    boss = _client(make_user("boss", "admin"))
    for account, action in ((mine, "unpause"), (mine, "unpause"), (theirs, "agent_logout")):
        agent = Agent.objects.filter(account=account, status="IDLE").first()
        assert boss.post(f"/actions/{account.pk}/{action}/", {"agent": agent.pk}).status_code < 500
    boss.post(f"/actions/{theirs.pk}/secret-plan/", {})
    supervisor = _client(make_user("sup", "supervisor", accounts=(mine,)))
    assert _offered(supervisor) == ["unpause"]
    assert _offered(boss) == ["agent_logout", "unpause"]
