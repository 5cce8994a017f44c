"""Every page, in a real Chromium under the production Content-Security-Policy, raises no
policy violation and no script error: first render, htmx swaps and pushed fragments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from providers.model import AgentStatus
from tests.browser.conftest import StartServer
from tests.conftest import Sim, make_account, make_user
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.pipeline import embedded_scheduler, poll

pytestmark = [pytest.mark.browser, pytest.mark.services]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


class Watched:
    """A browser context whose pages record CSP violations and uncaught script errors."""

    def __init__(self, browser: Any, url: str) -> None:
        self.url = url
        self.context = browser.new_context(viewport={"width": 1600, "height": 1000})
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        # Chromium also reports each refusal on the console ("… violates the following
        # Content Security Policy directive …"), and a script broken by one may throw.
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.errors.append(f"{self.page.url}: {err}"))
        self.page.on("dialog", lambda dialog: dialog.accept())

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.errors.append(f"{self.page.url}: {message.text}")

    def open(self, path: str, ready: str) -> None:
        self.page.goto(f"{self.url}{path}")
        self.page.wait_for_selector(ready)

    def sign_in(self, username: str) -> None:
        self.open("/login/", "main.login form")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", "pw")
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__violations")
        return found


@pytest.fixture
def served(
    asgi_server: StartServer, daktela_sim: Sim
) -> Iterator[tuple[str, ProviderAccount, Sim]]:
    daktela_sim.advance(90)
    account = make_account(daktela_sim, poll_interval_s=1)
    assert poll(account).ok
    scheduler = embedded_scheduler(tick_s=0.1).start()
    try:
        yield asgi_server(), account, daktela_sim
    finally:
        scheduler.stop()


def _idle(sim: Sim, account: ProviderAccount) -> Agent:
    login = next(a.login for a in sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    return Agent.objects.get(account=account, login=login)


def test_no_page_violates_the_content_security_policy(
    served: tuple[str, ProviderAccount, Sim], browser: Any
) -> None:
    url, account, sim = served
    make_user("admin1", "admin", accounts=(account,), extension="600")
    agent = _idle(sim, account)
    make_user("agent1", "agent", agent=agent)
    board = Board.objects.create(name="Wall")
    board.accounts.add(account)
    link = TvLink.objects.create(board=board)
    visited: list[tuple[str, list[str]]] = []

    admin = Watched(browser, url)
    admin.sign_in("admin1")
    admin.open("/board/", "#connection[data-state=open]")
    # A pushed fragment is swapped in under the same policy.
    sim.engine.set_status(agent.vendor_id, AgentStatus.PAUSED, pause_id="6")
    admin.page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=5_000)
    visited.append(("board", admin.violations()))
    admin.open("/console/", "#connection[data-state=open]")
    admin.page.click(f"#agent-{agent.pk}")
    admin.page.wait_for_selector("#action-panel form.action")
    visited.append(("console and agent panel", admin.violations()))
    admin.open("/membership/", "#matrix")
    visited.append(("membership", admin.violations()))
    admin.open(f"/reports/{account.pk}/", "#queue-charts")
    visited.append(("reports", admin.violations()))

    tv = Watched(browser, url)
    tv.open(f"/tv/{link.token}/", "#connection[data-state=open]")
    visited.append(("tv", tv.violations()))

    phone = Watched(browser, url)
    phone.sign_in("agent1")
    phone.open("/me/", "#connection[data-state=open]")
    visited.append(("agent's own panel", phone.violations()))

    assert [(page, found) for page, found in visited if found] == []
    assert admin.errors + tv.errors + phone.errors == []
    for watched in (admin, tv, phone):
        watched.context.close()


def test_a_tv_whose_link_is_revoked_stops_showing_the_board(
    served: tuple[str, ProviderAccount, Sim], browser: Any
) -> None:
    """The socket closes and the page loads again: the TV says its link is no longer valid
    instead of freezing on the last figures it had."""
    url, account, _sim = served
    board = Board.objects.create(name="Wall")
    board.accounts.add(account)
    link = TvLink.objects.create(board=board)
    tv = Watched(browser, url)
    tv.open(f"/tv/{link.token}/", "#connection[data-state=open]")
    link.revoke()
    # A locator, not a JavaScript predicate: the page it lands on forbids eval in its CSP.
    tv.page.get_by_text("This TV link is not valid").wait_for(timeout=10_000)
    assert tv.page.locator("#board").count() == 0
    tv.context.close()
