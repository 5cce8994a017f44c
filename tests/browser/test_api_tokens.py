"""A person makes an API token in their profile, reads it once, uses it, and revokes it,
in a real Chromium under the production CSP; the API's docs page renders under it too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import StartServer
from tests.browser.test_security import Watched
from tests.conftest import make_user
from wallboard.accounts.tokens import TOKEN_SHAPE

pytestmark = [pytest.mark.browser, pytest.mark.services]


def _me(url: str, token: str) -> int:
    return httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.parametrize("viewport", [(1366, 768), (390, 844)])
def test_a_token_is_made_shown_once_used_and_revoked_in_the_profile(
    browser: Any, asgi_server: StartServer, tmp_path: Path, viewport: tuple[int, int]
) -> None:
    make_user("sup", "supervisor")
    url = asgi_server()
    watched = Watched(browser, url)
    watched.page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    watched.sign_in("sup")
    watched.open("/profile/", "#api-tokens")
    assert watched.page.is_visible("text=You have no API tokens.")
    watched.page.fill("input[name=name]", "Grafana on the wall")
    watched.page.select_option("select[name=expires]", "30")
    watched.page.click("text=Create token")
    watched.page.wait_for_selector("code.api-token")
    token = watched.page.text_content("code.api-token") or ""
    assert TOKEN_SHAPE.fullmatch(token)
    watched.page.screenshot(
        path=str(tmp_path / f"profile-new-token-{viewport[0]}.png"), full_page=True
    )
    assert _me(url, token) == 200
    watched.open("/profile/", "#api-tokens")
    assert token not in watched.page.content()
    assert watched.page.is_visible(f"text={token[:12]}…")
    watched.page.screenshot(
        path=str(tmp_path / f"profile-tokens-{viewport[0]}.png"), full_page=True
    )
    watched.page.click("button:has-text('Revoke')")  # the confirmation is accepted
    watched.page.wait_for_selector("text=You have no API tokens.")
    assert watched.page.url.endswith("/profile/")
    assert _me(url, token) == 401
    assert not watched.errors
    assert not watched.violations()


def test_the_api_docs_page_renders_under_the_csp(
    browser: Any, asgi_server: StartServer, tmp_path: Path
) -> None:
    watched = Watched(browser, asgi_server())
    watched.open("/api/v1/docs", ".swagger-ui .info .title")
    watched.page.wait_for_selector("[data-path='/api/v1/accounts/{account_id}/state']")
    assert "Wallboard API" in (watched.page.text_content(".swagger-ui .info .title") or "")
    watched.page.screenshot(path=str(tmp_path / "api-docs.png"), full_page=False)
    assert not watched.errors
    assert not watched.violations()
