"""Each role's main flow in a real Chromium, against a real uvicorn, a poller and a
simulator: what a supervisor, an agent, an admin and a TV see and do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from providers.model import AgentStatus
from tests.browser.conftest import StartServer
from tests.conftest import Sim, make_account, make_user
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import ActiveCall, Agent, Membership, ProviderAccount, Queue
from wallboard.wiring.pipeline import embedded_scheduler, poll

pytestmark = [pytest.mark.browser, pytest.mark.services]


@dataclass
class Live:
    url: str
    sim: Sim
    account: ProviderAccount
    browser: Any

    def page(self, user: str | None, *, width: int = 1600, height: int = 1000) -> Any:
        context = self.browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        if user is not None:
            page.goto(f"{self.url}/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", "pw")
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
        return page

    def agent_in(self, status: AgentStatus) -> Agent:
        login = next(a.login for a in self.sim.engine.truth().agents if a.status is status)
        return Agent.objects.get(account=self.account, login=login)


@pytest.fixture
def live(asgi_server: StartServer, browser: Any, daktela_sim: Sim) -> Iterator[Live]:
    daktela_sim.advance(90)
    account = make_account(daktela_sim, poll_interval_s=1)
    poll(account)
    # The poller runs here, as the embedded demo runs it; pushes reach the web server through Redis.
    scheduler = embedded_scheduler(tick_s=0.1).start()
    try:
        yield Live(asgi_server(), daktela_sim, account, browser)
    finally:
        scheduler.stop()


def test_supervisor_pauses_an_agent_with_a_reason_and_sees_it(live: Live) -> None:
    make_user("sup", "supervisor", accounts=(live.account,), extension="600")
    agent = live.agent_in(AgentStatus.IDLE)
    page = live.page("sup")
    page.goto(f"{live.url}/console/")
    page.wait_for_selector("#connection[data-state=open]")
    page.click(f"#agent-{agent.pk}")
    page.wait_for_selector(f"#panel-agent-{agent.pk}")
    page.select_option("#action-panel select[name=reason]", label="Lunch")
    page.click("#action-panel form:has(select[name=reason]) button[type=submit]")
    page.wait_for_selector("#feedback .feedback.ok")
    page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=5_000)
    assert "Lunch" in page.inner_text(f"#agent-{agent.pk}")


def test_supervisor_listens_in_and_transfers(live: Live) -> None:
    make_user("sup", "supervisor", accounts=(live.account,), extension="600")
    agent = live.agent_in(AgentStatus.TALKING)
    call = ActiveCall.objects.get(account=live.account, agent=agent)
    page = live.page("sup")
    page.goto(f"{live.url}/console/")
    page.wait_for_selector("#connection[data-state=open]")
    page.click(f"#agent-{agent.pk}")
    page.click("#action-panel button[name=mode][value=whisper]")
    page.wait_for_selector("#feedback .feedback.ok:has-text('Listen')")
    assert live.sim.engine.monitors[agent.vendor_id].listener_extension == "600"

    page.fill("#action-panel input[name=number]", "800123456")
    page.select_option("#action-panel select[name=kind]", "blind")
    page.click("#action-panel section.call form:has(input[name=number]) button[type=submit]")
    page.wait_for_selector("#feedback .feedback.ok:has-text('Transfer')")
    assert call.call_id not in live.sim.engine.calls  # blind transfer out: the call left us


def test_a_refused_action_shows_the_vendors_reason(live: Live) -> None:
    make_user("sup", "supervisor", accounts=(live.account,), extension="600")
    agent = live.agent_in(AgentStatus.TALKING)
    call = ActiveCall.objects.get(account=live.account, agent=agent)
    page = live.page("sup")
    page.goto(f"{live.url}/console/")
    page.wait_for_selector("#connection[data-state=open]")
    page.click(f"#agent-{agent.pk}")
    page.click(
        f"#action-panel form:has(input[name=queue][value='{call.queue_id}']) button[type=submit]"
    )
    page.wait_for_selector("#feedback .feedback.error")
    assert "call" in page.inner_text("#feedback").lower()


def test_admin_removes_an_agent_from_a_queue_and_the_matrix_updates(live: Live) -> None:
    make_user("root", "admin", accounts=(live.account,))
    member = (
        Membership.objects.filter(agent__account=live.account, agent__status="IDLE", logged_in=True)
        .select_related("agent", "queue")
        .first()
    )
    assert member is not None
    cell = f"#cell-{member.agent_id}-{member.queue_id}"
    page = live.page("root")
    page.goto(f"{live.url}/membership/?account={live.account.pk}")
    page.wait_for_selector(f"{cell}.member")
    page.click(f"{cell} button")
    page.wait_for_selector("#feedback .feedback.ok")
    # Daktela's LogoutQueue keeps the agent as a logged-out member; others drop the member.
    page.wait_for_selector(f"{cell}:not(.member), {cell}.logged-out", timeout=8_000)


def test_agent_pauses_and_unpauses_themself_on_a_phone(live: Live) -> None:
    agent = live.agent_in(AgentStatus.IDLE)
    make_user("me", "agent", agent=agent)
    page = live.page("me", width=390, height=844)
    page.goto(f"{live.url}/me/")
    page.wait_for_selector("#connection[data-state=open]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("form:has(select[name=reason]) button[type=submit]")
    page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=5_000)
    page.click("form[hx-post$='/unpause/'] button")
    page.wait_for_selector(f"#agent-{agent.pk}[data-status=IDLE]", timeout=5_000)


def test_a_tv_link_shows_a_live_board_until_revoked(live: Live) -> None:
    board = Board.objects.create(name="Wall", waiting_warn=1)
    board.accounts.add(live.account)
    link = TvLink.objects.create(board=board)
    page = live.page(None, width=1920, height=1080)
    page.goto(f"{live.url}/tv/{link.token}/")
    page.wait_for_selector("#connection[data-state=open]")
    agent = live.agent_in(AgentStatus.IDLE)
    live.sim.engine.set_status(agent.vendor_id, AgentStatus.PAUSED, pause_id="6")
    page.wait_for_selector(f"#agent-{agent.pk}[data-status=PAUSED]", timeout=5_000)

    link.revoke()
    # The socket closes and the page loads again, saying why the board is gone.
    page.wait_for_selector("main.tv-gone-message", timeout=10_000)
    assert page.goto(f"{live.url}/tv/{link.token}/").status == 404


def test_a_tv_fits_a_hundred_agents_on_1080p_and_shows_alarms(
    asgi_server: StartServer, browser: Any, start_sim: Any
) -> None:
    sim = start_sim("daktela", agents=100, queues=5, calls_per_min_per_queue=0.0)
    account = make_account(sim)
    poll(account)
    queue = Queue.objects.filter(account=account).order_by("pk").first()
    board = Board.objects.create(name="Floor", waiting_warn=1, waiting_alarm=2)
    board.accounts.add(account)
    link = TvLink.objects.create(board=board)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{asgi_server()}/tv/{link.token}/")
    page.wait_for_selector("#connection[data-state=open]")
    assert page.locator(".agent-tile").count() >= 80
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    assert page.locator(".level[data-level='2']").count() == 0
    for _ in range(2):
        sim.engine.add_waiting_call(queue.vendor_id, "226211245")
    poll(account)
    level = page.locator(f"#level-{board.pk}-q{queue.pk}")
    level.wait_for(state="attached")
    page.wait_for_function(
        f"() => document.getElementById('level-{board.pk}-q{queue.pk}').dataset.level === '2'",
        timeout=5_000,
    )
