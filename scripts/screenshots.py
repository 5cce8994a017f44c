"""Take the README's screenshots from a running demo (``manage.py demo``), and print how
the TV lays itself out at each screen size (ADR 015).

Usage: .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000] [TV-URL] [FLOOR-TV-URL]
(the two TV links ``manage.py demo`` prints: the demo wall, and the floor board's widgets).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# The TV at the screens it hangs on: tv.png is 1080p, the README's.
TV_SIZES = {
    "tv-1366x768.png": (1366, 768),
    "tv.png": (1920, 1080),
    "tv-3840x2160.png": (3840, 2160),
    "tv-portrait-1080x1920.png": (1080, 1920),
}
# The floor board: queue tiles, waiting callers, the summary table and the leaderboard.
FLOOR_SIZES = {"tv-floor.png": (1920, 1080), "tv-floor-3840x2160.png": (3840, 2160)}
# What the TV shows at a screen size: overflow, the smallest figure and agent text, pages.
LAYOUT = """() => {
  const root = document.documentElement, px = (selector) => Math.min(...Array.from(
    document.querySelectorAll(selector)).filter((el) => el.getClientRects().length)
    .map((el) => parseFloat(getComputedStyle(el).fontSize)));
  const indicator = document.getElementById("page-indicator");
  return {
    overflow: [root.scrollWidth - innerWidth, root.scrollHeight - innerHeight],
    figure: px(".figures dd"), agent: px(".agent-name, .agent-status"),
    density: document.body.dataset.density,
    page: indicator.hidden ? "1 / 1" : indicator.textContent,
    shown: Array.from(document.querySelectorAll(".agent-tile"))
      .filter((el) => el.getClientRects().length).length,
    agents: document.querySelectorAll(".agent-tile").length,
  };
}"""


def _login(browser: Any, base_url: str, user: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def main(base_url: str, tv_url: str | None, floor_url: str | None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    full_hd = {"viewport": {"width": 1920, "height": 1080}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = _login(browser, base_url, "supervisor", **full_hd)
        page.goto(f"{base_url}/board/")
        page.wait_for_selector("#connection[data-state=open]")
        page.wait_for_timeout(2000)
        page.screenshot(path=OUT / "board.png")

        page.goto(f"{base_url}/console/")
        page.wait_for_selector("#connection[data-state=open]")
        page.locator(".agent-tile.status-talking, .agent-tile.status-idle").first.click()
        page.wait_for_selector("#action-panel .panel")
        page.wait_for_timeout(1000)
        page.screenshot(path=OUT / "console.png")

        # The board editor beside its preview of the demo's board (ADR 027).
        page.goto(f"{base_url}/boards/")
        page.locator(".board-list a").first.click()
        page.frame_locator("#preview").locator("#connection[data-state=open]").wait_for()
        page.wait_for_timeout(2000)
        page.screenshot(path=OUT / "board-editor.png")

        phone = _login(
            browser, base_url, "agent1", viewport={"width": 390, "height": 844}, is_mobile=True
        )
        phone.wait_for_selector("#connection[data-state=open]")
        phone.screenshot(path=OUT / "agent-panel-phone.png", full_page=True)

        admin = _login(browser, base_url, "admin", **full_hd)
        admin.goto(f"{base_url}/membership/")
        admin.wait_for_selector("table.matrix")
        admin.screenshot(path=OUT / "membership.png")

        small = {"viewport": {"width": 1366, "height": 768}}
        laptop = _login(browser, base_url, "supervisor", **small)
        for name in ("board", "console"):
            laptop.goto(f"{base_url}/{name}/")
            laptop.wait_for_selector("#connection[data-state=open]")
            laptop.wait_for_timeout(1000)
            laptop.screenshot(path=OUT / f"{name}-1366x768.png", full_page=True)

        for url, sizes in ((tv_url, TV_SIZES), (floor_url, FLOOR_SIZES)):
            for filename, (width, height) in sizes.items() if url else ():
                tv = browser.new_page(viewport={"width": width, "height": height})
                tv.goto(url)
                tv.wait_for_selector("#connection[data-state=open]")
                tv.wait_for_timeout(2000)
                tv.screenshot(path=OUT / filename)
                _report(filename, width, height, tv.evaluate(LAYOUT))
                tv.close()
        browser.close()


def _report(filename: str, width: int, height: int, shown: dict[str, Any]) -> None:
    sys.stdout.write(
        f"{filename} {width}x{height}: overflow {shown['overflow'][0]}x{shown['overflow'][1]} px,"
        f" {shown['density']}, figures {shown['figure']:.1f} px"
        f" ({shown['figure'] / height:.1%} of the height), agent text {shown['agent']:.1f} px"
        f" ({shown['agent'] / height:.1%}), page {shown['page']}:"
        f" {shown['shown']} of {shown['agents']} agents\n"
    )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000",
        sys.argv[2] if len(sys.argv) > 2 else None,
        sys.argv[3] if len(sys.argv) > 3 else None,
    )
