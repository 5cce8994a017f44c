"""What a supervisor sees on the board, in a real Chromium against a real uvicorn."""

from __future__ import annotations

from typing import Any

import pytest

from providers.model import AgentStatus
from tests.browser.conftest import StartServer
from tests.conftest import Sim, make_account, make_user
from wallboard.monitoring.models import Agent, Membership, ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.browser, pytest.mark.services]

COUNT_OPENS = """
window.__opens = 0;
document.addEventListener("htmx:wsOpen", () => { window.__opens += 1; });
"""


def _open_board(browser: Any, base_url: str, account: ProviderAccount) -> Any:
    make_user("supervisor", "supervisor", accounts=(account,), password="demo")
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.add_init_script(COUNT_OPENS)
    page = context.new_page()
    page.goto(f"{base_url}/login/?next=/board/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_selector("#connection[data-state=open]", timeout=10_000)
    # The full state the socket sends on connect has replaced the page's tiles: a test that
    # marks a tile marks the one that stays.
    page.wait_for_selector(f"#seq-{account.pk}[data-full]", state="attached", timeout=10_000)
    return page


def _board_with_an_idle_agent(
    asgi_server: StartServer, browser: Any, sim: Sim
) -> tuple[Any, ProviderAccount, Agent]:
    """A supervisor's board of a polled account, and one of its ready agents."""
    account = make_account(sim)
    poll(account)
    page = _open_board(browser, asgi_server(), account)
    agent_id = next(a.id for a in sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    return page, account, Agent.objects.get(account=account, vendor_id=agent_id)


def test_an_agent_tile_updates_without_a_reload(
    asgi_server: StartServer, browser: Any, daktela_sim: Sim
) -> None:
    page, account, agent = _board_with_an_idle_agent(asgi_server, browser, daktela_sim)
    tile = page.locator(f"#agent-{agent.pk}")
    assert tile.get_attribute("data-status") == "IDLE"
    page.evaluate("window.__sameDocument = true")

    daktela_sim.engine.set_status(agent.vendor_id, AgentStatus.PAUSED, pause_id="7")
    poll(account)

    page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=5_000)
    assert "Lunch" in tile.inner_text()
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("window.__opens") == 1


def test_a_focused_tile_keeps_the_focus_when_its_change_is_swapped_in(
    asgi_server: StartServer, browser: Any, daktela_sim: Sim
) -> None:
    """live.js puts a message's fragments in place itself: a supervisor moving through the
    tiles with the keyboard stays on the tile that changed."""
    page, account, agent = _board_with_an_idle_agent(asgi_server, browser, daktela_sim)
    page.focus(f"#agent-{agent.pk}")
    page.evaluate(
        "window.__after = 0; document.addEventListener('htmx:wsAfterMessage', "
        "() => { window.__after += 1; })"
    )

    daktela_sim.engine.set_status(agent.vendor_id, AgentStatus.PAUSED, pause_id="7")
    poll(account)

    page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=5_000)
    assert page.evaluate("document.activeElement.id") == f"agent-{agent.pk}"
    assert page.evaluate("document.querySelector('[hx-swap-oob]')") is None
    assert page.evaluate("window.__after") >= 1  # the pages' own steps after a message ran


def test_a_queues_agent_counts_follow_an_agent_change(
    asgi_server: StartServer, browser: Any, start_sim: Any
) -> None:
    sim = start_sim("daktela", calls_per_min_per_queue=0, pause_rate_per_hour=0)
    account = make_account(sim)
    poll(account)
    page = _open_board(browser, asgi_server(), account)
    agent_id = next(a.id for a in sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    agent = Agent.objects.get(account=account, vendor_id=agent_id)
    membership = Membership.objects.filter(agent=agent).select_related("queue").first()
    assert membership is not None
    queue = membership.queue
    paused = page.locator(f"#queue-{queue.pk}-counts .paused")
    assert paused.inner_text().startswith(f"{queue.agents_paused} ")
    page.evaluate(f"document.getElementById('queue-{queue.pk}').dataset.kept = '1'")

    sim.engine.set_status(agent_id, AgentStatus.PAUSED, pause_id="7")
    poll(account)

    queue.refresh_from_db()
    page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=5_000)
    assert paused.inner_text().startswith(f"{queue.agents_paused} ")
    assert page.locator(f"#queue-{queue.pk}[data-kept]").count() == 1, "the tile stays"


def test_the_board_reconnects_after_a_normal_close(
    asgi_server: StartServer, browser: Any, daktela_sim: Sim
) -> None:
    account = make_account(daktela_sim)
    poll(account)
    # This server closes every socket with code 1000 two seconds after accepting it.
    page = _open_board(browser, asgi_server(app="tests.browser.closing_asgi:application"), account)
    page.wait_for_function("() => window.__opens >= 2", timeout=15_000)
    page.wait_for_selector("#connection[data-state=open]", timeout=10_000)

    engine = daktela_sim.engine
    agent_id = next(a.id for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    agent = Agent.objects.get(account=account, vendor_id=agent_id)
    engine.set_status(agent_id, AgentStatus.PAUSED, pause_id="6")
    poll(account)
    # Delivered live, or by the full state sent on the next reconnect: either way it shows.
    page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=10_000)


def test_a_silent_account_says_it_is_not_live(
    asgi_server: StartServer,
    browser: Any,
    daktela_sim: Sim,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    """Nothing polls here between the test's own polls, as when Redis or the workers are
    down: after three heartbeats of silence the account says it is not live, and the next
    heartbeat clears it."""
    monkeypatch.setenv("LIVE_HEARTBEAT_S", "1")  # the server's: silence after 3 s
    settings.LIVE_HEARTBEAT_S = 0  # this process's polls: a heartbeat every time
    account = make_account(daktela_sim)
    poll(account)
    page = _open_board(browser, asgi_server(), account)
    banner = page.locator(f"#silent-{account.pk}")
    assert banner.is_hidden()

    banner.wait_for(state="visible", timeout=10_000)
    assert "Not live" in banner.inner_text()
    assert page.locator(f"#silent-{account.pk} time").inner_text().count(":") == 2

    poll(account)
    banner.wait_for(state="hidden", timeout=5_000)
