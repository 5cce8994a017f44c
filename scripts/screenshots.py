"""Take the README's screenshots from a running demo (``manage.py demo``).

Usage: .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000] [TV-URL]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def _login(browser: Any, base_url: str, user: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def main(base_url: str, tv_url: str | None) -> None:
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

        phone = _login(
            browser, base_url, "agent1", viewport={"width": 390, "height": 844}, is_mobile=True
        )
        phone.wait_for_selector("#connection[data-state=open]")
        phone.screenshot(path=OUT / "agent-panel-phone.png", full_page=True)

        admin = _login(browser, base_url, "admin", **full_hd)
        admin.goto(f"{base_url}/membership/")
        admin.wait_for_selector("table.matrix")
        admin.screenshot(path=OUT / "membership.png")

        if tv_url:
            tv = browser.new_page(**full_hd)
            tv.goto(tv_url)
            tv.wait_for_selector("#connection[data-state=open]")
            tv.wait_for_timeout(2000)
            tv.screenshot(path=OUT / "tv.png")
        browser.close()


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000",
        sys.argv[2] if len(sys.argv) > 2 else None,
    )
