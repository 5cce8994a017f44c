"""Every action of ``ACTIONS`` against every role and scope, over real HTTP against the
simulators (the rule table of ``wallboard/accounts/access.py`` and ADR 016).

Columns: admin; supervisor of the whole account; supervisor of one queue (Support) with the
target in scope and with it out of scope; an agent on themself and on a colleague; a
viewer; a TV (a TV link opens no session: its browser posts without one). An allowed action
reaches the vendor and answers 200; a refused one is a 403 and sends the vendor nothing.

Daktela has every action but the default outbound campaign, which SPIKON has. Both
simulators start once for the module; before each allowed action the simulator's call
center is rebuilt from the same seed and clock, so every case starts from the state the
stored rows were polled from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client, override_settings

from providers.base import AgentRef
from providers.registry import provider_class
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from providers.simulators import SIMULATORS, start_simulator
from tests.conftest import Sim, make_account, make_user
from wallboard.actions.models import AuditEntry
from wallboard.actions.specs import ACTIONS
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import ActiveCall, Agent, ProviderAccount, Queue
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db]

A, R = "allowed", "refused"
ROLES = ("admin", "sup_account", "sup_queue_in", "sup_queue_out")
ROLES += ("agent_self", "agent_other", "viewer", "tv")
# action: (admin, sup_account, sup_queue_in, sup_queue_out, agent_self, agent_other, viewer, tv)
RULES: dict[str, tuple[str, ...]] = {
    "pause": (A, A, A, R, A, R, R, R),
    "unpause": (A, A, A, R, A, R, R, R),
    "listen": (A, A, A, R, R, R, R, R),
    "transfer": (A, A, A, R, R, R, R, R),
    "hangup": (A, A, A, R, R, R, R, R),
    "queue_login": (A, A, A, R, A, R, R, R),
    "queue_logout": (A, A, A, R, A, R, R, R),
    "agent_login": (A, A, A, R, R, R, R, R),
    "agent_logout": (A, A, A, R, R, R, R, R),
    "originate": (A, A, A, R, R, R, R, R),
    "set_default_campaign": (A, A, A, R, R, R, R, R),
}
VENDOR = {"set_default_campaign": "spikon"}

# Who each action is done to, in scope (a member of Support) and out of it (novak is only
# in Billing, pokorny in Sales and Billing), by login in the seeded simulators.
AGENT_IN = {"unpause": "kolar", "listen": "ruzicka3", "transfer": "ruzicka3", "hangup": "zeman"}
AGENT_OUT = {"listen": "pokorny", "transfer": "pokorny", "hangup": "pokorny"}


def test_the_table_covers_every_action() -> None:
    assert set(RULES) == set(ACTIONS)
    assert all(len(row) == len(ROLES) for row in RULES.values())


@dataclass
class Center:
    vendor: str
    sim: Sim
    account: ProviderAccount
    start: datetime = field(default=datetime(2026, 11, 22, 8, 0, tzinfo=UTC))

    def reset(self) -> None:
        """The call center as it was when polled (same seed, same simulated time)."""
        clock = ManualClock(self.start)
        engine = CallCenter(self.sim.engine.config, clock)
        clock.advance(90)
        self.sim.server.app = SIMULATORS[self.vendor].make_app(engine)
        if self.vendor == "spikon":
            # A default outbound campaign must be one of the agent's outbound campaigns:
            # put marek in Support's outbound list, as an admin who runs it as one would.
            config = self.account.config()
            outbound = replace(config, options={**config.options, "outbound_campaigns": "1"})
            provider = provider_class("spikon")(outbound)
            try:
                provider.add_to_queue(AgentRef(id="marek", login="marek"), "1")
            finally:
                provider.close()

    def queue(self, name: str) -> Queue:
        return Queue.objects.get(account=self.account, name=name)

    def agent(self, login: str) -> Agent:
        return Agent.objects.get(account=self.account, login=login)


@dataclass
class World:
    centers: dict[str, Center]
    clients: dict[str, Client]
    agent_clients: dict[tuple[str, str], Client]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    servers: list[SimulatorServer] = []
    with django_db_blocker.unblock(), override_settings(ACTION_RATE_LIMIT="10000/m"):
        centers = {}
        for vendor in ("daktela", "spikon"):
            clock = ManualClock(datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
            config = SimConfig(agents=12, queues=3, seed=3)
            server, engine = start_simulator(vendor, config, clock=clock)
            servers.append(server)
            sim = Sim(vendor, server, engine, clock)
            sim.advance(90)
            center = Center(vendor, sim, make_account(sim, name=f"rules {vendor}"))
            assert poll(center.account).ok
            centers[vendor] = center
        accounts = tuple(c.account for c in centers.values())
        supports = tuple(c.queue("Support") for c in centers.values())
        clients = {
            "admin": _client(make_user("r-admin", "admin", extension="600")),
            "sup_account": _client(
                make_user("r-sup", "supervisor", accounts=accounts, extension="600")
            ),
            "sup_queue": _client(
                make_user(
                    "r-supq", "supervisor", accounts=accounts, queues=supports, extension="600"
                )
            ),
            "viewer": _client(make_user("r-viewer", "viewer", accounts=accounts)),
        }
        board = Board.objects.create(name="rules wall")
        board.accounts.set(accounts)
        tv = Client()
        assert tv.get(f"/tv/{TvLink.objects.create(board=board).token}/").status_code == 200
        clients["tv"] = tv
        agent_clients = {
            (vendor, agent.login): _client(
                make_user(f"r-{vendor}-{agent.login}", "agent", agent=agent)
            )
            for vendor, center in centers.items()
            for agent in Agent.objects.filter(account=center.account)
        }
        yield World(centers, clients, agent_clients)
        for center in centers.values():
            center.account.delete()
        board.delete()
        from django.contrib.auth import get_user_model

        get_user_model().objects.filter(username__startswith="r-").delete()
    for server in servers:
        server.stop()


def _form(center: Center, action: str, login: str, *, inside: bool) -> dict[str, Any]:
    """A valid form for ``action`` on the agent ``login`` (or their call)."""
    agent = center.agent(login)
    support, other = center.queue("Support"), center.queue("Billing")
    if action in ("transfer", "hangup"):
        call = ActiveCall.objects.get(account=center.account, agent=agent)
        data: dict[str, Any] = {"call": call.pk}
        if action == "transfer":
            data.update(kind="blind", queue=support.pk)
        return data
    data = {"agent": agent.pk}
    if action == "pause":
        data["reason"] = center.account.pause_reasons.exclude(type="wrap").first().pk  # type: ignore[union-attr]
    elif action == "listen":
        data["mode"] = "spy"
    elif action in ("queue_login", "queue_logout", "set_default_campaign"):
        data["queue"] = (support if inside else other).pk
    elif action == "originate":
        data["number"] = "600123456"
    return data


CASES = [
    pytest.param(action, role, expected, id=f"{action}-{role}")
    for action, row in RULES.items()
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_the_rule(world: World, action: str, role: str, expected: str) -> None:
    center = world.centers[VENDOR.get(action, "daktela")]
    inside = role != "sup_queue_out"
    login = (AGENT_IN if inside else AGENT_OUT).get(action, "marek" if inside else "novak")
    data = _form(center, action, login, inside=inside)
    if role in ("agent_self", "agent_other"):
        client = world.agent_clients[(center.vendor, login if role == "agent_self" else "novak")]
    else:
        client = world.clients[role.removesuffix("_in").removesuffix("_out")]
    if expected == A:
        center.reset()
    before = center.sim.server.total_requests
    with override_settings(ACTION_RATE_LIMIT="10000/m"):
        response = client.post(f"/actions/{center.account.pk}/{action}/", data)
    body = response.content.decode()
    if expected == A:
        assert response.status_code == 200, body
        assert center.sim.server.total_requests > before
        assert AuditEntry.objects.get().ok
        return
    assert response.status_code == 403, body
    assert center.sim.server.total_requests == before
    if role == "tv":
        assert "Sign in first" in body
        assert not AuditEntry.objects.exists()
    else:
        assert not AuditEntry.objects.get().ok
