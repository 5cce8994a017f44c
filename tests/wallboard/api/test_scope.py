"""Each role's API shows exactly what their pages show (ADR 016): the accounts of the
board, its queues and agents, the state of each account, and nothing else is found."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.wallboard.api.conftest import ROLES, CallCenter, items
from wallboard.accounts.access import Scope
from wallboard.api import schemas
from wallboard.monitoring.models import Agent, Membership, Queue
from wallboard.monitoring.state import state_json

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def _ids(html: str, kind: str) -> set[int]:
    return {int(pk) for pk in re.findall(rf'id="{kind}-(\d+)"', html)}


def _board(center: CallCenter, role: str, account_id: int) -> str:
    return center.people[role].page("/board/", {"account": account_id})


SEEN = {
    "admin": {"Main", "Other"},
    "supervisor": {"Main", "Other"},
    "scoped": {"Main"},
    "agent": {"Main"},
    "viewer": {"Other"},
}


@pytest.mark.parametrize("role", ROLES)
def test_the_accounts_are_the_boards(center: CallCenter, role: str) -> None:
    someone = center.people[role]
    accounts = items(someone.get("/api/v1/accounts"))
    assert {a["name"] for a in accounts} == SEEN[role]
    assert {a["id"] for a in accounts} == _ids(someone.page("/board/"), "account")
    assert [a["name"] for a in accounts] == sorted(a["name"] for a in accounts)
    for account in accounts:
        one = someone.get(f"/api/v1/accounts/{account['id']}")
        assert one.status_code == 200
        assert one.json() == account


@pytest.mark.parametrize("role", ROLES)
def test_queues_and_agents_are_those_on_the_board(center: CallCenter, role: str) -> None:
    someone = center.people[role]
    for account in items(someone.get("/api/v1/accounts")):
        base = f"/api/v1/accounts/{account['id']}"
        html = _board(center, role, account["id"])
        queues = items(someone.get(f"{base}/queues"))
        agents = items(someone.get(f"{base}/agents"))
        assert {q["id"] for q in queues} == _ids(html, "queue")
        assert {a["id"] for a in agents} == _ids(html, "agent")
        assert agents, "every account has agents in every scope here"
        shown_queues = {q["id"] for q in queues}
        for agent in agents:
            assert {m["queue_id"] for m in agent["memberships"]} <= shown_queues
            assert someone.get(f"{base}/agents/{agent['id']}").json() == agent
        for queue in queues:
            assert someone.get(f"{base}/queues/{queue['id']}").json() == queue


def test_a_queue_scoped_supervisor_sees_their_queues_and_those_members_only(
    center: CallCenter,
) -> None:
    someone = center.people["scoped"]
    base = f"/api/v1/accounts/{center.account.pk}"
    assert [q["name"] for q in items(someone.get(f"{base}/queues"))] == ["Support"]
    agents = items(someone.get(f"{base}/agents"))
    assert {a["login"] for a in agents} == {
        "zeman",
        "ruzicka3",
        "lewandowski",
        "ruzicka",
        "kolar",
        "marek",
    }
    for agent in agents:
        assert [m["queue_id"] for m in agent["memberships"]] == [center.support.pk]
    # ruzicka3 is in Sales too: an admin sees both memberships.
    ruzicka3 = center.agent("ruzicka3")
    whole = center.people["admin"].get(f"{base}/agents/{ruzicka3.pk}").json()
    assert len(whole["memberships"]) == Membership.objects.filter(agent=ruzicka3).count() > 1
    # Out of scope is not found, exactly as what does not exist.
    novak, billing = center.agent("novak"), center.billing
    for path in (
        f"{base}/agents/{novak.pk}",
        f"{base}/queues/{billing.pk}",
        f"{base}/agents?queue={billing.pk}",
        f"/api/v1/accounts/{center.other.pk}",
        f"/api/v1/accounts/{center.other.pk}/state",
    ):
        response = someone.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]
    absent = someone.get(f"{base}/agents/{Agent.objects.order_by('-pk').first().pk + 1000}")
    assert absent.status_code == 404
    assert sorted(absent.json()) == ["detail"]


def test_agents_filter_by_queue_and_status(center: CallCenter) -> None:
    someone = center.people["admin"]
    base = f"/api/v1/accounts/{center.account.pk}"
    billing = {
        a["login"] for a in items(someone.get(f"{base}/agents", {"queue": center.billing.pk}))
    }
    assert billing == set(
        Agent.objects.filter(memberships__queue=center.billing).values_list("login", flat=True)
    )
    for status in set(
        Agent.objects.filter(account=center.account).values_list("status", flat=True)
    ):
        found = items(someone.get(f"{base}/agents", {"status": status}))
        assert {a["id"] for a in found} == set(
            Agent.objects.filter(account=center.account, status=status).values_list("pk", flat=True)
        )


@pytest.mark.parametrize("role", ROLES)
def test_the_state_is_the_state_json_of_the_scope(
    center: CallCenter, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Token or session, the state URL answers ``state_json`` of the person's scope: the
    DESIGN §9 contract, field for field. (One clock for all three: waits are counted from
    now.)"""
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    someone = center.people[role]
    scope = Scope.of(someone.user)
    for account in scope.accounts():
        path = f"/api/v1/accounts/{account.pk}/state"
        expected = state_json(account, scope.queue_ids)
        by_token = someone.get(path)
        by_session = someone.browser.get(path)
        assert by_token.status_code == by_session.status_code == 200
        assert by_token.json() == by_session.json() == expected
        # The document's schema holds every field (the state is sent as built, not
        # through it): a field added to state_json and not to the schema fails here.
        assert schemas.State.model_validate(expected).model_dump(mode="json") == expected
        assert by_token["Content-Type"] == "application/json; charset=utf-8"


def test_the_me_operation_says_who_and_what(center: CallCenter) -> None:
    scoped = center.people["scoped"].get("/api/v1/me").json()
    assert scoped == {
        "username": "team",
        "role": "supervisor",
        "account_ids": [center.account.pk],
        "queue_ids": [center.support.pk],
    }
    admin = center.people["admin"].get("/api/v1/me").json()
    assert admin["role"] == "admin"
    assert admin["queue_ids"] is None
    assert set(admin["account_ids"]) == {center.account.pk, center.other.pk}


def test_a_disabled_account_is_seen_by_no_one(center: CallCenter) -> None:
    center.other.enabled = False
    center.other.save()
    for role in ROLES:
        someone = center.people[role]
        assert center.other.pk not in {a["id"] for a in items(someone.get("/api/v1/accounts"))}
        assert someone.get(f"/api/v1/accounts/{center.other.pk}/queues").status_code == 404
    assert Queue.objects.filter(account=center.other).exists(), "hidden, not empty"
