"""A board survives its server: restarted with pages open, it reconnects and shows what
changed while the server was down."""

from __future__ import annotations

from typing import Any

import pytest

from providers.model import AgentStatus
from tests.browser.conftest import Servers
from tests.browser.test_board import _open_board
from tests.conftest import Sim, make_account
from wallboard.monitoring.models import Agent
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.browser, pytest.mark.services]


def test_the_board_reconnects_after_a_server_restart_and_shows_what_changed(
    asgi_server: Servers, browser: Any, daktela_sim: Sim
) -> None:
    account = make_account(daktela_sim)
    poll(account)
    url = asgi_server()
    page = _open_board(browser, url, account)
    engine = daktela_sim.engine
    agent_id = next(a.id for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    agent = Agent.objects.get(account=account, vendor_id=agent_id)
    assert page.locator(f"#agent-{agent.pk}").get_attribute("data-status") == "IDLE"

    asgi_server.stop(url)
    page.wait_for_selector("#connection[data-state=closed]", timeout=10_000)
    # Published while no server holds the page's socket: only the reconnect can bring it.
    engine.set_status(agent_id, AgentStatus.PAUSED, pause_id="7")
    poll(account)
    asgi_server.start_again(url)

    page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=60_000)
    page.wait_for_selector("#connection[data-state=open]", timeout=10_000)
    assert page.evaluate("window.__opens") >= 2
