"""Each account says how old its data is (issue 11 §3): "data 2 s old", ticking in the
browser from the last successful poll, right when the screen's clock is wrong, amber past
two intervals."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import StartServer
from tests.conftest import Sim, make_account, make_user
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.browser, pytest.mark.services]

# This screen's clock is an hour ahead of the server's.
FAST_CLOCK = "const realNow = Date.now; Date.now = () => realNow() + 3600 * 1000;"


def _seconds(text: str) -> int:
    match = re.fullmatch(r"data (\d+) s old", text)
    assert match, text
    return int(match[1])


def test_the_data_age_ticks_follows_each_poll_and_turns_amber(
    asgi_server: StartServer,
    browser: Any,
    daktela_sim: Sim,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    """Nothing polls here but the test: quiet polls (no change, so only heartbeats reach
    the screen) keep the age young; without them it grows and turns amber past two
    intervals (1 s polls, 1 s heartbeats), and the next poll makes it young again."""
    monkeypatch.setenv("LIVE_HEARTBEAT_S", "1")  # the server's
    settings.LIVE_HEARTBEAT_S = 0  # this process's polls: a heartbeat every time
    account = make_account(daktela_sim, poll_interval_s=1)
    poll(account)
    make_user("supervisor", "supervisor", accounts=(account,), password="demo")
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.add_init_script(FAST_CLOCK)
    page = context.new_page()
    page.goto(f"{asgi_server()}/login/?next=/board/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_selector("#connection[data-state=open]", timeout=10_000)
    age = page.locator(f"#status-{account.pk} .data-age")

    for _ in range(6):
        poll(account)
        page.wait_for_timeout(500)
        assert _seconds(age.inner_text()) <= 1, "an hour ahead, and still right"
        assert "old" not in (age.get_attribute("class") or "")

    first = _seconds(age.inner_text())
    page.wait_for_function(
        "(el) => el.classList.contains('old')", arg=age.element_handle(), timeout=5_000
    )
    assert _seconds(age.inner_text()) >= max(3, first + 2), "it ticks"
    assert page.locator(f"#status-{account.pk} .data-age.old").is_visible()

    poll(account)
    page.wait_for_function(
        "(el) => !el.classList.contains('old')", arg=age.element_handle(), timeout=5_000
    )
    assert _seconds(age.inner_text()) <= 1
