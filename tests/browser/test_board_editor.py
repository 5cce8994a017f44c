"""The board editor in a real Chromium against a real uvicorn (ADR 027): a supervisor
shapes a board, the preview frame shows its TV at the chosen size, and the board's open TV
reloads into the new shape at once."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import StartServer
from tests.browser.test_tv_layout import _js
from tests.conftest import Sim, make_account, make_user
from wallboard.dashboards.models import TIMES, Board, TickerMessage, TvLink
from wallboard.live.views import IDENTIFY_MS
from wallboard.monitoring.models import ProviderAccount
from wallboard.wiring.pipeline import embedded_scheduler, poll

pytestmark = [pytest.mark.browser, pytest.mark.services]


@pytest.fixture
def centre(asgi_server: StartServer, daktela_sim: Sim) -> Iterator[tuple[str, ProviderAccount]]:
    account = make_account(daktela_sim, poll_interval_s=1)
    poll(account)
    scheduler = embedded_scheduler(tick_s=0.2).start()
    try:
        yield asgi_server(), account
    finally:
        scheduler.stop()


def _signed_in(
    browser: Any, url: str, path: str, *, fake_clock: bool = False, **page_options: Any
) -> Any:
    """A page of the supervisor who edits boards, signed in, at ``path`` (with
    ``fake_clock``, its timers run on time until the test moves them on)."""
    page = browser.new_page(**{"viewport": {"width": 1920, "height": 1080}, **page_options})
    if fake_clock:
        page.clock.install()
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "pw")
    page.click("form button[type=submit]:not([name])")
    page.goto(f"{url}{path}")
    return page


def test_a_supervisor_shapes_a_board_and_its_tv_follows(
    centre: tuple[str, ProviderAccount], browser: Any
) -> None:
    url, account = centre
    board = Board.objects.create(name="Floor")
    board.accounts.set([account])
    link = TvLink.objects.create(board=board, label="By the door")
    make_user("boss", "supervisor", accounts=(account,))

    tv = browser.new_page(viewport={"width": 1366, "height": 768})
    tv.goto(f"{url}/tv/{link.token}/")
    tv.wait_for_selector("#connection[data-state=open]")
    assert tv.locator("body").get_attribute("data-theme") == "dark"
    assert tv.locator(".agent-tile").count() > 0

    page = _signed_in(browser, url, "/boards/")
    page.click("text=Floor")
    page.select_option("select[name=slot_0]", "agents")
    page.select_option("select[name=slot_1]", "queues")
    page.select_option("select[name=agent_grid]", "not_ready")
    page.select_option("select[name=theme]", "high-contrast")
    page.fill("input[name=rotate_s]", "3")
    page.click(".board-form button[type=submit]")
    # Refused in place, with its reason; nothing saved.
    assert page.locator("text=Nothing was saved").is_visible()
    assert "greater than or equal to 5" in page.content()
    board.refresh_from_db()
    assert board.theme == "dark"

    page.fill("input[name=rotate_s]", "30")
    page.click(".board-form button[type=submit]")
    page.wait_for_selector("text=Saved.")
    board.refresh_from_db()
    assert (board.widgets, board.agent_grid, board.theme, board.rotate_s) == (
        ["agents", "queues"],
        "not_ready",
        "high-contrast",
        30,
    )

    # The preview: the board's TV, full screen, at 1920x1080 scaled into the page.
    frame = page.frame_locator("#preview")
    frame.locator("#connection[data-state=open]").wait_for()
    assert frame.locator("body.wall").count() == 1
    assert frame.locator("body").get_attribute("data-theme") == "high-contrast"
    box = page.locator("#preview").bounding_box()
    assert box is not None
    assert round(box["width"]) == 640
    page.select_option("#preview-size", "1080x1920")
    box = page.locator("#preview").bounding_box()
    assert box is not None
    assert (round(box["width"]), round(box["height"])) == (360, 640)
    inner = frame.locator("html").evaluate("el => [el.clientWidth, el.clientHeight]")
    assert inner == [1080, 1920]

    # The open TV reloaded into the new shape: agents first, the ready ones left out.
    tv.wait_for_function("document.body.dataset.theme === 'high-contrast'")
    tv.wait_for_selector("#connection[data-state=open]")
    order = tv.evaluate("[...document.querySelector('.account').children].map(el => el.className)")
    assert order.index("agents") < order.index("queues")
    ready = tv.locator(".agent-tile[data-status=IDLE]")
    assert all(not ready.nth(i).is_visible() for i in range(ready.count()))
    assert tv.locator("#board").get_attribute("data-rotate-s") == "30"


def test_a_ticker_message_reaches_the_open_tv_and_ends_at_its_expiry(
    centre: tuple[str, ProviderAccount], browser: Any
) -> None:
    url, account = centre
    board = Board.objects.create(name="Floor")
    board.accounts.set([account])
    other = Board.objects.create(name="Elsewhere")
    other.accounts.set([account])
    ours = TvLink.objects.create(board=board)
    theirs = TvLink.objects.create(board=other)
    make_user("boss", "supervisor", accounts=(account,))

    tvs = []
    for link in (ours, theirs):
        tv = browser.new_page(viewport={"width": 1920, "height": 1080})
        tv.goto(f"{url}/tv/{link.token}/")
        tv.wait_for_selector("#connection[data-state=open]")
        tvs.append(tv)
    tv, elsewhere = tvs
    assert not tv.locator("#ticker").is_visible()

    page = _signed_in(browser, url, f"/boards/{board.pk}/")
    page.fill(".ticker-form input[name=text]", "Fire drill at 14:00")
    page.click(".ticker-form button[type=submit]")
    page.wait_for_selector("text=The message is on the board's TVs now.")

    # Pushed over the open socket: no reload.
    tv.wait_for_selector("#ticker:has-text('Fire drill at 14:00')", state="visible")
    assert tv.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert not elsewhere.locator("#ticker").is_visible()
    assert tv.evaluate(_js("screen_check.js"))["problems"] == []

    # The longest message on the smallest TV: it wraps, and the board still fits.
    tv.set_viewport_size({"width": 1366, "height": 768})
    TickerMessage.objects.create(
        board=board, text="Overflow? " * 28, expires_at=timezone.now() + timedelta(hours=1)
    )
    tv.wait_for_selector("#ticker:has-text('Overflow?')", state="visible")
    tv.wait_for_timeout(1000)  # the resize's layout is debounced by 250 ms
    assert tv.evaluate(_js("screen_check.js"))["problems"] == []

    # A message that expires in two seconds goes by itself, and stays gone after a reload.
    TickerMessage.objects.create(
        board=board, text="Short notice", expires_at=timezone.now() + timedelta(seconds=2)
    )
    tv.wait_for_selector("#ticker:has-text('Short notice')", state="visible")
    tv.wait_for_selector("#ticker", state="hidden", timeout=10_000)
    TickerMessage.objects.update(expires_at=timezone.now())
    tv.reload()
    tv.wait_for_selector("#connection[data-state=open]")
    assert not tv.locator("#ticker").is_visible()


def test_identify_and_reload_reach_only_that_tv(
    centre: tuple[str, ProviderAccount], browser: Any
) -> None:
    url, account = centre
    board = Board.objects.create(name="Floor")
    board.accounts.set([account])
    door = TvLink.objects.create(board=board, label="By the door")
    kitchen = TvLink.objects.create(board=board, label="Kitchen")
    make_user("boss", "supervisor", accounts=(account,))
    tvs = {}
    for link in (door, kitchen):
        tv = browser.new_page(viewport={"width": 1920, "height": 1080})
        if link == door:
            tv.clock.install()  # its timers run on time, until the test moves them on
        tv.goto(f"{url}/tv/{link.token}/")
        tv.wait_for_selector("#connection[data-state=open]")
        tv.evaluate("window.notReloaded = true")
        tvs[link.label] = tv

    page = _signed_in(browser, url, f"/boards/{board.pk}/")

    page.click(f".tv-links li[data-link='{door.pk}'] button:has-text('Identify')")
    page.wait_for_selector("text=That TV shows its label for 10 seconds.")
    tvs["By the door"].wait_for_selector("#identify:has-text('By the door')", state="visible")
    assert not tvs["Kitchen"].locator("#identify").is_visible()
    # The label's time on screen is the TV's own timer: passed at once, not waited out.
    tvs["By the door"].clock.fast_forward(IDENTIFY_MS)
    tvs["By the door"].wait_for_selector("#identify", state="hidden", timeout=15_000)

    page.click(f".tv-links li[data-link='{kitchen.pk}'] button:has-text('Reload')")
    page.wait_for_selector("text=That TV reloads now.")
    tvs["Kitchen"].wait_for_function("window.notReloaded === undefined")
    tvs["Kitchen"].wait_for_selector("#connection[data-state=open]")
    assert tvs["By the door"].evaluate("window.notReloaded") is True


def test_the_editor_lists_a_new_tv_as_a_screen_and_revokes_it(
    centre: tuple[str, ProviderAccount], browser: Any
) -> None:
    """ADR 027's TV fleet end to end: the link made in the editor, opened on a 1366x768 TV,
    listed as connected with its screen and browser (the list fetches itself every 10 s),
    then revoked from the editor: the TV says so at once."""
    url, account = centre
    board = Board.objects.create(name="Floor")
    board.accounts.set([account])
    make_user("boss", "supervisor", accounts=(account,))
    page = _signed_in(
        browser,
        url,
        f"/boards/{board.pk}/",
        fake_clock=True,
        viewport={"width": 1366, "height": 768},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page.fill(".tv-link-form input[name=label]", "By the door")
    page.click(".tv-link-form button[type=submit]")
    tv_url = page.locator("#new-link-url").input_value()
    link = TvLink.objects.get(board=board)
    assert tv_url.startswith(f"{url}/tv/")
    assert TvLink.from_token(tv_url.rstrip("/").rsplit("/", 1)[1]) == link
    page.click("button:has-text('Copy')")
    expect(page.locator("button[data-copy]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == tv_url
    screen = page.locator(f".tv-screen[data-link='{link.pk}']")
    expect(screen.locator(".tv-state")).to_have_text("never connected")

    tv = browser.new_page(viewport={"width": 1366, "height": 768})
    tv.goto(tv_url)
    tv.locator("#connection[data-state=open]").wait_for()
    # Once the server has the TV's hello, the list's next fetch shows it: that 10 s timer
    # of the editor's is passed at once, not waited out.
    deadline = time.monotonic() + 15
    while not TvLink.objects.filter(pk=link.pk, screen_w__isnull=False).exists():
        assert time.monotonic() < deadline, "the TV's hello never reached the server"
        time.sleep(0.05)
    page.clock.fast_forward(10_000)
    expect(screen.locator(".tv-state")).to_have_text("connected now (1)", timeout=15_000)
    expect(screen.locator(".tv-size")).to_have_text(f"1366{TIMES}768")
    assert re.fullmatch(r"Chrome \d+ on Linux", screen.locator(".tv-browser").inner_text())
    expect(screen.locator(".tv-page")).to_have_text(re.compile(r"1 / \d+"))

    page.once("dialog", lambda dialog: dialog.accept())
    screen.locator("button:has-text('Revoke')").click()
    page.locator("text=Revoked: that TV says its link is not valid now.").wait_for()
    tv.locator("text=This TV link is not valid").wait_for()
    expect(page.locator(f".tv-screen[data-link='{link.pk}']")).to_have_count(0)
    link.refresh_from_db()
    assert not link.active
