"""A supervisor sets up a webhook for a board in a real Chromium, the board's alerts reach
a real receiver through the embedded poller, and the delivery log shows each attempt."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import StartServer
from tests.conftest import Sim, make_account, make_user
from tests.wallboard.notifications.conftest import Receiver
from wallboard.dashboards.models import Board
from wallboard.notifications.models import Rule
from wallboard.wiring.pipeline import embedded_scheduler

pytestmark = [pytest.mark.browser, pytest.mark.services]

SIZES = [(1366, 768), (1920, 1080)]


def signed_in(browser: Any, url: str, width: int, height: int) -> Any:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "sup")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_a_supervisor_sets_up_a_webhook_and_reads_its_delivery_log(
    asgi_server: StartServer, browser: Any, daktela_sim: Sim, tmp_path: Path
) -> None:
    account = make_account(daktela_sim, poll_interval_s=1)
    board = Board.objects.create(name="Support wall", ready_warn=100)
    board.accounts.add(account)
    make_user("sup", "supervisor", accounts=(account,))
    receiver = Receiver(secret="")
    server = receiver.start()
    url = asgi_server()
    page = signed_in(browser, url, *SIZES[0])

    page.goto(f"{url}/console/")
    page.click("nav >> text=Notifications")
    page.wait_for_selector(f"#board-{board.pk}")
    page.screenshot(path=str(tmp_path / "notifications-empty.png"))
    page.click(f"#board-{board.pk} >> text=Add a rule")
    page.fill("input[name=name]", "Ticketing")
    page.select_option("select[name=channel]", "webhook")
    page.fill("input[name=url]", "tickets.example.com/hook")
    page.check("input[name=on_warning]")
    page.click("main button[type=submit]")
    assert "is not a web address" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "rule-form-error.png"), full_page=True)

    page.fill("input[name=url]", receiver.url)
    page.click("main button[type=submit]")
    secret = page.inner_text("code.secret")
    assert len(secret) >= 40
    receiver.secret = secret
    page.screenshot(path=str(tmp_path / "rule-secret.png"))
    page.click("text=Back to the notification rules")
    assert "Ticketing" in page.inner_text(f"#board-{board.pk}")

    scheduler = embedded_scheduler(tick_s=0.1).start()
    try:
        deadline = time.monotonic() + 20
        while len(receiver.requests) < 3:
            assert time.monotonic() < deadline, "no warnings delivered"
            time.sleep(0.1)
    finally:
        scheduler.stop()
        server.shutdown()
        server.server_close()
    assert all(r.signed for r in receiver.requests)
    assert {json.loads(r.body)["event"] for r in receiver.requests} == {"warning"}

    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{url}/notifications/")
        page.screenshot(path=str(tmp_path / f"notifications-{width}.png"), full_page=True)
        page.click(f"#board-{board.pk} >> text=Delivery log")
        rows = page.locator("table.deliveries tbody tr")
        assert rows.count() == 3
        assert "HTTP 200" in page.inner_text("table.deliveries")
        assert "Delivered" in page.inner_text("table.deliveries")
        page.screenshot(path=str(tmp_path / f"deliveries-{width}.png"), full_page=True)

    page.goto(f"{url}/notifications/")
    page.click(f"#board-{board.pk} button.danger")  # asks first; the dialog is accepted
    page.wait_for_selector("text=No rules yet")
    assert not Rule.objects.exists()
