"""A call center seen through the API by each role, beside the pages they see.

The Daktela simulator (seed 3) has Support with zeman, ruzicka3, lewandowski, ruzicka, kolar
and marek; novak and zielinski only in Billing (see tests/wallboard/accounts/test_queue_scope).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client

from tests.conftest import Sim, make_account, make_user
from wallboard.accounts.models import ApiToken
from wallboard.accounts.tokens import issue
from wallboard.monitoring.models import Agent, ProviderAccount, Queue
from wallboard.wiring.pipeline import poll

ROLES = ("admin", "supervisor", "scoped", "agent", "viewer")


@dataclass
class Person:
    user: Any
    token: str
    # Signed in, to compare with the pages.
    browser: Client = field(default_factory=Client)

    def get(self, path: str, data: dict[str, Any] | None = None, **headers: str) -> HttpResponse:
        """A request to the API with this person's token (``token=""``: none)."""
        return Client().get(
            path, data or {}, headers={"Authorization": f"Bearer {self.token}", **headers}
        )

    def page(self, path: str, data: dict[str, Any] | None = None) -> str:
        return self.browser.get(path, data or {}).content.decode()


def token_for(user: Any, name: str = "integration", **fields: Any) -> str:
    return issue(ApiToken(user=user, name=name, **fields))


def person(user: Any) -> Person:
    someone = Person(user, token_for(user))
    someone.browser.force_login(user)
    return someone


@dataclass
class CallCenter:
    sim: Sim
    account: ProviderAccount
    other: ProviderAccount
    support: Queue
    billing: Queue
    people: dict[str, Person]

    def agent(self, login: str) -> Agent:
        return Agent.objects.get(account=self.account, login=login)


@pytest.fixture
def center(start_sim: Any) -> CallCenter:
    sim = start_sim("daktela")
    account = make_account(sim, name="Main")
    other = make_account(start_sim("daktela", seed=5), name="Other")
    sim.advance(90)
    assert poll(account).ok
    assert poll(other).ok
    queues = {q.name: q for q in Queue.objects.filter(account=account)}
    support = queues["Support"]
    members = set(Agent.objects.filter(memberships__queue=support).values_list("login", flat=True))
    assert members == {"zeman", "ruzicka3", "lewandowski", "ruzicka", "kolar", "marek"}
    agent = Agent.objects.get(account=account, login="novak")
    people = {
        "admin": person(get_user_model().objects.create_superuser("root", password="pw")),
        "supervisor": person(make_user("sup", "supervisor", accounts=(account, other))),
        "scoped": person(make_user("team", "supervisor", accounts=(account,), queues=(support,))),
        "agent": person(make_user("novak", "agent", agent=agent)),
        "viewer": person(make_user("wall", "viewer", accounts=(other,))),
    }
    return CallCenter(sim, account, other, support, queues["Billing"], people)


def items(response: HttpResponse) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"]), "one page holds everything in these tests"
    return list(body["items"])
