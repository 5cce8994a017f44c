"""Text from providers is shown as text: it can create no element, script or htmx target.

A simulator with hostile names (agents, queues, pause reasons, callers' numbers and names)
is polled for real, and every page that shows provider text is rendered: the board, the
console, a TV, an agent's action panel, an agent's own page, the membership editor, the
day report, the audit log and the fragments pushed over WebSockets; a vendor's own error
text reaches the stale banner the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from providers.sim.engine import HOSTILE_NAMES
from tests.conftest import Sim, make_account, make_user
from wallboard.actions.models import AuditEntry
from wallboard.dashboards.models import Board, TvLink
from wallboard.dashboards.selection import BoardView
from wallboard.dashboards.updates import render_sections
from wallboard.monitoring.models import (
    ActiveCall,
    Agent,
    PauseReason,
    ProviderAccount,
    Queue,
    WaitingCall,
)
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db]

OUR_OOB_IDS = ("account-", "status-", "members-", "queue-", "agent-", "seq-")

# Where each vendor's API carries text we show (VoIPSUN names agents and queues by their
# PBX names; SPIKON's API has no pause reasons).
HOSTILE_FIELDS: dict[str, tuple[str, ...]] = {
    "daktela": ("agent name", "queue name", "pause title", "caller"),
    "spikon": ("agent name", "queue name", "caller"),
    "voipsun": ("caller",),
}


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def _hostile(text: str | None) -> bool:
    return any(name in (text or "") for name in HOSTILE_NAMES)


def shown_texts(account: ProviderAccount) -> dict[str, list[str]]:
    """The provider's text stored for ``account``, by field."""
    return {
        "agent name": list(Agent.objects.filter(account=account).values_list("name", flat=True)),
        "queue name": list(Queue.objects.filter(account=account).values_list("name", flat=True)),
        "pause title": list(
            PauseReason.objects.filter(account=account).values_list("title", flat=True)
        ),
        "caller": [
            *WaitingCall.objects.filter(queue__account=account).values_list("caller", flat=True),
            *ActiveCall.objects.filter(account=account).values_list("number", flat=True),
        ],
        "caller name": list(
            WaitingCall.objects.filter(queue__account=account).values_list("caller_name", flat=True)
        ),
    }


def assert_inert(html: str, page: str) -> None:
    """Nothing in ``html`` was made from provider text: no injected element, handler,
    script, template output or out-of-band target."""
    elements = _elements(html)
    for tag, attrs in elements:
        assert tag != "img", (page, attrs)
        assert not any(name.startswith("on") for name in attrs), (page, tag, attrs)
        if tag == "script" and attrs.get("type") != "application/json":  # json_script data
            assert (attrs.get("src") or "").startswith("/static/"), (page, attrs)
        if "hx-swap-oob" in attrs:
            assert (attrs.get("id") or "").startswith(OUR_OOB_IDS), (page, attrs)
    for name in HOSTILE_NAMES:
        assert name not in html, (page, name)


@pytest.fixture(params=["daktela", "spikon", "voipsun"])
def hostile_sim(request: pytest.FixtureRequest, start_sim: Callable[..., Sim]) -> Sim:
    sim = start_sim(request.param, names="hostile", agents=10, queues=4)
    sim.advance(120)
    return sim


@pytest.fixture
def hostile(hostile_sim: Sim) -> ProviderAccount:
    account = make_account(hostile_sim, name='<b id="account-x">Acme</b>')
    result = poll(account)
    assert result.ok, result.error
    return account


def test_a_full_poll_stores_the_hostile_text_as_sent(hostile: ProviderAccount) -> None:
    texts = shown_texts(hostile)
    for field in HOSTILE_FIELDS[hostile.vendor]:
        assert any(_hostile(text) for text in texts[field]), (field, texts[field])


def test_every_page_shows_provider_text_as_text(hostile: ProviderAccount) -> None:
    admin = make_user("boss", "admin", accounts=(hostile,), extension="600")
    client = Client()
    client.force_login(admin)
    agents = list(Agent.objects.filter(account=hostile).order_by("pk"))
    # VoIPSUN names agents by their PBX login: no hostile name to act on there.
    agent = next((a for a in agents if _hostile(a.name)), agents[0])
    pause = PauseReason.objects.filter(account=hostile).first()
    client.post(
        f"/actions/{hostile.pk}/pause/",
        {"agent": agent.pk, **({"reason": pause.pk} if pause else {})},
    )
    queue = Queue.objects.filter(account=hostile).order_by("pk").last()
    assert queue is not None
    client.post(f"/actions/{hostile.pk}/queue_login/", {"agent": agent.pk, "queue": queue.pk})
    assert AuditEntry.objects.filter(account=hostile).exists()
    assert poll(hostile).ok

    board = Board.objects.create(name="Wall")
    board.accounts.add(hostile)
    link = TvLink.objects.create(board=board)
    me = make_user("me", "agent", accounts=(hostile,), agent=agent)
    own = Client()
    own.force_login(me)
    day = hostile_day(hostile)
    pages = {
        "board": client.get("/board/"),
        "console": client.get("/console/"),
        "tv": Client().get(f"/tv/{link.token}/"),
        "agent panel": client.get(f"/console/agent/{agent.pk}/"),
        "my panel": own.get("/me/"),
        "membership": client.get(f"/membership/?account={hostile.pk}"),
        "report": client.get(f"/reports/{hostile.pk}/?day={day}"),
        "audit log": client.get("/audit/"),
    }
    shown = [text for texts in shown_texts(hostile).values() for text in texts]
    for page, response in pages.items():
        assert response.status_code == 200, (page, response.status_code)
        html = response.content.decode()
        assert_inert(html, page)
        assert "&lt;" in html, f"{page} shows some hostile text, escaped"
    pushed = render_sections(BoardView(accounts=[hostile]))
    assert_inert(pushed, "pushed fragments")
    assert any(_hostile(text) for text in shown)


def hostile_day(account: ProviderAccount) -> str:
    first = Agent.objects.filter(account=account).order_by("status_since").first()
    assert first is not None
    assert first.status_since is not None
    return first.status_since.date().isoformat()


def test_a_vendor_error_text_in_the_stale_banner_is_text(hostile_sim: Sim) -> None:
    account = make_account(hostile_sim)
    assert poll(account).ok
    hostile_error = HOSTILE_NAMES[1] + HOSTILE_NAMES[0]
    bodies: dict[str, Any] = {
        "daktela": {"error": hostile_error, "status": 0},
        "spikon": {"errors": {"error": {"id": "-9", "text": hostile_error}}},
        "voipsun": {"success": "false", "errno": "300", "reason": hostile_error},
    }
    hostile_sim.server.faults.body = json.dumps(bodies[account.vendor]).encode()
    assert not poll(account).ok
    account.refresh_from_db()
    client = Client()
    client.force_login(make_user("sup", "supervisor", accounts=(account,)))
    html = client.get("/board/").content.decode()
    assert "Stale since" in html
    assert_inert(html, "stale banner")
    assert "&lt;img" in html or "img" not in account.last_error
