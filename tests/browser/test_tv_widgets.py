"""A TV board with the widgets of ADR 027 — the queue summary table, the waiting-caller list
and the leaderboard, with the agent grid — fits every screen as the tiles do (ADR 015): no
scrolling, nothing cut or outside its box, on every page of one rotation; and its list and
table follow a pushed change in place. In a real Chromium against a real uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from providers.model import AgentStatus
from tests.browser.conftest import StartServer
from tests.browser.test_tv_layout import (
    CHECK,
    TILES,
    Centre,
    _centre,
    _rotation,
    open_tv,
    polling,
)
from tests.conftest import Sim
from wallboard.dashboards.models import Board
from wallboard.monitoring.models import Agent, AgentStatusSpan, Queue

pytestmark = [pytest.mark.browser, pytest.mark.services]
__all__ = ["polling"]  # the fixture

SIZES = [(1366, 768), (1920, 1080), (3840, 2160), (1080, 1920)]
WIDGETS = ["summary", "callers", "leaders", "agents"]
LEADERS = 12  # more than the board shows


def widget_centre(start_sim: Callable[..., Sim]) -> Centre:
    """Two vendors' centres, callers waiting in their queues, and a morning's calls."""
    centre = _centre(
        start_sim,
        [
            {"vendor": "daktela", "agents": 24, "queues": 4, "seed": 7},
            {"vendor": "voipsun", "agents": 24, "queues": 4, "seed": 8},
        ],
    )
    Board.objects.filter(pk=centre.link.board_id).update(widgets=WIDGETS)
    for sim, account in zip(centre.sims, centre.accounts, strict=True):
        for n, queue in enumerate(sim.engine.truth().queues):
            for k in range(n + 1):
                sim.engine.add_waiting_call(queue.id, f"+4206010{n}{k:04d}")
        now = timezone.now()
        for n, agent in enumerate(Agent.objects.filter(account=account).order_by("pk")[:LEADERS]):
            for call in range(n % 4 + 1):
                began = now - timedelta(minutes=20 * call + n + 2)
                ended = began + timedelta(minutes=1 + n % 3)
                for status, start, end in (
                    (AgentStatus.TALKING, began, ended),
                    (AgentStatus.IDLE, ended, ended + timedelta(minutes=1)),
                ):
                    AgentStatusSpan.objects.create(
                        agent=agent, status=status.value, started_at=start, ended_at=end
                    )
    # The simulators' clocks are days behind this one: times in state of hundreds of hours,
    # which live.js shows in days, as narrow as the 9:59:59 a tile keeps room for (ADR 015).
    centre.poll()
    return centre


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_a_board_of_widgets_fits_the_screen(
    asgi_server: StartServer,
    browser: Any,
    start_sim: Callable[..., Sim],
    polling: None,
    size: tuple[int, int],
) -> None:
    centre = widget_centre(start_sim)
    page = open_tv(browser, asgi_server(), centre, size, rotate_s=0.2)
    widgets = {f"{kind}-{a.pk}" for kind in ("callers", "leaders") for a in centre.accounts}
    widgets |= {f"summary-{a.pk}" for a in centre.accounts}
    assert set(page.evaluate(CHECK)["all_widgets"]) == widgets
    assert page.locator(".caller-list li:not(.blank)").count() == 2 * (1 + 2 + 3 + 4)
    assert page.locator(".leaders li:not(.blank)").count() == 2 * 10
    problems, shown, agents = [], set(), set()
    rotation = _rotation(page)
    for screen in rotation:
        problems += [f"page {screen['page']}: {p}" for p in screen["problems"]]
        shown.update(screen["widgets"])
        agents.update(screen["agents"])
    assert problems == []
    assert shown == widgets, "every widget on screen within one rotation"
    assert agents == set(rotation[0]["all_agents"]), "every agent too"
    print(f"\n{size[0]}x{size[1]}: {rotation[0]['density']}, {len(rotation)} page(s)")  # noqa: T201
    page.context.close()


def test_the_list_and_the_table_follow_a_push_in_place(
    asgi_server: StartServer, browser: Any, start_sim: Callable[..., Sim]
) -> None:
    centre = widget_centre(start_sim)
    page = open_tv(browser, asgi_server(), centre, (1920, 1080), rotate_s=600)
    account, sim = centre.accounts[0], centre.sims[0]
    queue = Queue.objects.filter(account=account).order_by("pk").first()
    assert queue is not None
    row = f"#summary-q{queue.pk} td"
    assert page.locator(row).first.text_content() == "1"
    before = page.evaluate(TILES)
    sim.engine.add_waiting_call(queue.vendor_id, "+420777000999")
    centre.poll()
    page.wait_for_function(f"() => document.querySelector('{row}').textContent === '2'")
    page.wait_for_selector(f"#callers-{account.pk} .caller:text('+420777000999')")
    assert page.locator(f"#callers-{account.pk} .count").text_content() == "11"
    assert page.evaluate(TILES) == before, "no tile moved"
    assert page.evaluate(CHECK)["problems"] == []
