"""The board in the browser's language (Czech here), and the switcher to another one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from providers.model import AgentStatus
from tests.browser.conftest import StartServer
from tests.conftest import Sim, make_account, make_user
from tests.wallboard.test_i18n import ensure_catalogs
from wallboard.monitoring.models import Agent
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.browser, pytest.mark.services]

ENGLISH = ("Waiting", "Longest wait", "ready", "busy", "paused", "Paused")
SPIKON_WORDS = ("Wolny", "Zajęty", "Dzwoni", "Tak", "Nie")


@pytest.fixture(scope="module", autouse=True)
def _catalogs() -> None:
    ensure_catalogs()  # before the server starts: it reads the .mo files from locale/


@pytest.fixture
def paused_spikon_agent(start_sim: Callable[..., Sim]) -> Agent:
    """A SPIKON account polled once, with one agent on a break (the vendor says "Wolny")."""
    sim = start_sim("spikon")
    account = make_account(sim)
    idle = next(a for a in sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    sim.engine.set_status(idle.id, AgentStatus.PAUSED)
    assert poll(account).ok
    make_user("vedouci", "supervisor", accounts=(account,), password="demo")
    agent = Agent.objects.get(account=account, login=idle.login)
    assert agent.status == AgentStatus.PAUSED
    assert "Wolny" in agent.raw_status
    return agent


def _sign_in_in_czech(browser: Any, base_url: str, *, live: bool) -> Any:
    context = browser.new_context(locale="cs-CZ", viewport={"width": 1920, "height": 1080})
    if not live:
        # Only what the server rendered for this request: the socket is answered by nobody.
        context.route_web_socket(re.compile(r"/ws/"), lambda ws: None)
    page = context.new_page()
    page.goto(f"{base_url}/login/?next=/board/")
    assert page.locator("html").get_attribute("lang") == "cs"
    assert page.locator("main.login h1").inner_text() == "Přihlásit se"
    page.fill("input[name=username]", "vedouci")
    page.fill("input[name=password]", "demo")
    page.click("main.login button[type=submit]")
    page.wait_for_selector(".agent-tile", timeout=10_000)
    return page


def _assert_board_in(page: Any, agent: Agent, lang: str, words: dict[str, str]) -> None:
    assert page.locator("html").get_attribute("lang") == lang
    queue_text = page.locator(".queue-tile").first.text_content() or ""
    assert words["waiting"] in queue_text
    assert words["longest"] in queue_text
    status = page.locator(f"#agent-{agent.pk} .agent-status")
    assert words["paused"] in (status.text_content() or "")
    # SPIKON's own words only in the tooltip, never as the shown status.
    assert "Wolny" in (status.get_attribute("title") or "")
    shown = (page.locator("#board").text_content() or "").split()
    for word in (*ENGLISH, *SPIKON_WORDS):
        assert word not in shown, f"{word!r} shown on the {lang} board"


CZECH = {"waiting": "Čekající", "longest": "Nejdelší čekání", "paused": "Pauza"}
POLISH = {"waiting": "Oczekujące", "longest": "Najdłuższe oczekiwanie", "paused": "Przerwa"}


def test_a_czech_browser_gets_the_board_in_czech_and_can_switch_to_polish(
    asgi_server: StartServer, browser: Any, paused_spikon_agent: Agent
) -> None:
    base_url = asgi_server()
    page = _sign_in_in_czech(browser, base_url, live=False)
    _assert_board_in(page, paused_spikon_agent, "cs", CZECH)
    assert page.locator("#connection .when-open").text_content() == "Živě"

    page.click(".language-switcher button[value=pl]")
    page.wait_for_selector("html[lang=pl]", timeout=10_000)
    assert page.url.endswith("/board/")
    _assert_board_in(page, paused_spikon_agent, "pl", POLISH)
    # The choice outlives the page: the language cookie beats the browser's Czech.
    page.goto(f"{base_url}/board/")
    assert page.locator("html").get_attribute("lang") == "pl"
    page.context.close()


def test_the_live_board_stays_in_the_browsers_language(
    asgi_server: StartServer, browser: Any, paused_spikon_agent: Agent
) -> None:
    page = _sign_in_in_czech(browser, asgi_server(), live=True)
    page.wait_for_selector("#connection[data-state=open]", timeout=10_000)
    page.wait_for_selector(".seq[data-full]", state="attached", timeout=10_000)
    try:
        _assert_board_in(page, paused_spikon_agent, "cs", CZECH)
    finally:
        page.context.close()
