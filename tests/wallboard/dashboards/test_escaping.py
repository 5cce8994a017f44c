"""Text from providers is shown as text: it can create no element, script or htmx target."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from tests.conftest import make_account, make_user
from wallboard.dashboards.fragments import BoardView, render_sections
from wallboard.monitoring.models import Agent, ProviderAccount, WaitingCall
from wallboard.monitoring.poll import poll_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OUR_OOB_IDS = ("account-", "status-", "members-", "queue-", "agent-", "seq-")


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


@pytest.fixture(params=["daktela", "spikon", "voipsun"])
def hostile(request: pytest.FixtureRequest, start_sim: Any) -> ProviderAccount:
    sim = start_sim(request.param, names="hostile", agents=10)
    sim.advance(120)
    account = make_account(sim)
    assert poll_once(account).ok
    return account


def test_hostile_names_render_as_text_everywhere(hostile: ProviderAccount) -> None:
    shown = [
        *Agent.objects.filter(account=hostile).values_list("name", flat=True),
        *WaitingCall.objects.filter(queue__account=hostile).values_list("caller_name", flat=True),
    ]
    if hostile.vendor == "daktela":  # the vendor that reports full names and caller names
        assert any("<" in (text or "") for text in shown), shown
    client = Client()
    client.force_login(make_user("sup", "supervisor", accounts=(hostile,)))
    pages = [
        client.get("/board/").content.decode(),
        client.get("/console/").content.decode(),
        render_sections(BoardView(accounts=[hostile])),
    ]
    for html in pages:
        elements = _elements(html)
        assert not any(tag == "img" for tag, _ in elements)
        scripts = [attrs for tag, attrs in elements if tag == "script"]
        assert all((a.get("src") or "").startswith("/static/") for a in scripts), scripts
        assert not any(name.startswith("on") for _, attrs in elements for name in attrs), (
            "no event handler attribute"
        )
        for _tag, attrs in elements:
            if "hx-swap-oob" in attrs:
                assert (attrs.get("id") or "").startswith(OUR_OOB_IDS), attrs
        if any("<" in (text or "") for text in shown):
            assert "&lt;" in html
