"""The board editor's TVs (ADR 027): each link a screen (connected or last seen, its screen,
its browser), created and revoked from the editor within the person's scope."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import make_user
from wallboard.dashboards.browsers import browser_name
from wallboard.dashboards.models import TIMES, Board, TvLink
from wallboard.monitoring.models import ProviderAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def boards() -> dict[str, Any]:
    ours = ProviderAccount.objects.create(name="Ours", vendor="daktela", base_url="http://x")
    theirs = ProviderAccount.objects.create(name="Theirs", vendor="daktela", base_url="http://y")
    floor = Board.objects.create(name="Floor")
    floor.accounts.set([ours])
    mixed = Board.objects.create(name="Both centres")
    mixed.accounts.set([ours, theirs])
    return {"ours": ours, "floor": floor, "mixed": mixed}


def _without_tokens(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'href="/tv/[^"]+"', "", html)


def _client(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _boss(boards: dict[str, Any], **kwargs: Any) -> Client:
    return _client(make_user("boss", "supervisor", accounts=(boards["ours"],)), **kwargs)


def test_a_supervisor_creates_a_tv_link_and_sees_its_address_once(
    boards: dict[str, Any],
) -> None:
    boss = _boss(boards)
    floor = boards["floor"]
    reply = boss.post(f"/boards/{floor.pk}/tvs/new/", {"label": "Lobby"})
    assert reply.status_code == 302
    assert reply["Location"] == f"/boards/{floor.pk}/?saved=tv-new"
    link = TvLink.objects.get()
    assert (link.board, link.label, link.active) == (floor, "Lobby", True)
    page = boss.get(reply["Location"]).content.decode()
    shown = re.search(
        r'id="new-link-url" type="text" readonly value="http://testserver/tv/([^"/]+)/"', page
    )
    assert shown is not None
    assert TvLink.from_token(shown.group(1)) == link
    assert "Lobby" in page
    # Once: the next visit lists the link but no longer offers its address to copy.
    again = boss.get(f"/boards/{floor.pk}/").content.decode()
    assert 'id="new-link-url"' not in again
    assert "Lobby" in again


def test_a_tv_link_needs_a_name_and_a_board_in_scope(boards: dict[str, Any]) -> None:
    boss = _boss(boards)
    floor, mixed = boards["floor"], boards["mixed"]
    reply = boss.post(f"/boards/{floor.pk}/tvs/new/", {"label": "  "})
    assert reply.status_code == 400
    assert "This field is required." in reply.content.decode()
    assert boss.post(f"/boards/{floor.pk}/tvs/new/", {"label": "x" * 101}).status_code == 400
    assert boss.post(f"/boards/{mixed.pk}/tvs/new/", {"label": "Lobby"}).status_code == 404
    assert boss.post("/boards/9999/tvs/new/", {"label": "Lobby"}).status_code == 404
    assert boss.get(f"/boards/{floor.pk}/tvs/new/").status_code == 405
    viewer = _client(make_user("viewer", "viewer", accounts=(boards["ours"],)))
    assert viewer.post(f"/boards/{floor.pk}/tvs/new/", {"label": "Lobby"}).status_code == 403
    assert not TvLink.objects.exists()
    # An admin edits every board.
    root = _client(make_user("root", "admin"))
    assert root.post(f"/boards/{mixed.pk}/tvs/new/", {"label": "Both"}).status_code == 302
    assert TvLink.objects.get().board == mixed


def test_revoking_from_the_editor_ends_the_link(boards: dict[str, Any]) -> None:
    boss = _boss(boards)
    mine = TvLink.objects.create(board=boards["floor"], label="Lobby")
    other = TvLink.objects.create(board=boards["mixed"], label="Elsewhere")
    viewer = _client(make_user("viewer", "viewer", accounts=(boards["ours"],)))
    assert viewer.post(f"/boards/tv/{mine.pk}/revoke/").status_code == 403
    assert boss.post(f"/boards/tv/{other.pk}/revoke/").status_code == 404
    assert boss.get(f"/boards/tv/{mine.pk}/revoke/").status_code == 405
    reply = boss.post(f"/boards/tv/{mine.pk}/revoke/")
    assert reply.status_code == 302
    assert reply["Location"] == f"/boards/{boards['floor'].pk}/?saved=revoke"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.active, other.active) == (False, True)
    assert boss.post(f"/boards/tv/{mine.pk}/revoke/").status_code == 404
    assert Client().get(f"/tv/{mine.token}/").status_code == 404
    page = boss.get(reply["Location"]).content.decode()
    assert "Revoked:" in page
    assert f'data-link="{mine.pk}"' not in page


def test_creating_and_revoking_need_the_csrf_token(boards: dict[str, Any]) -> None:
    boss = _boss(boards, csrf=True)
    link = TvLink.objects.create(board=boards["floor"], label="Lobby")
    assert boss.post(f"/boards/{boards['floor'].pk}/tvs/new/", {"label": "X"}).status_code == 403
    assert boss.post(f"/boards/tv/{link.pk}/revoke/").status_code == 403
    link.refresh_from_db()
    assert link.active
    assert TvLink.objects.count() == 1


def test_the_list_of_tvs_shows_each_as_a_screen(boards: dict[str, Any]) -> None:
    floor = boards["floor"]
    TvLink.objects.create(
        board=floor,
        label="By the door",
        last_seen_at=timezone.now() - timedelta(minutes=5, seconds=10),
        screen_w=1366,
        screen_h=768,
        pixel_ratio=1,
        viewport_w=1366,
        viewport_h=768,
        user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/131.0.6778.33 Safari/537.36",
    )
    TvLink.objects.create(board=floor, label="Kitchen")
    TvLink.objects.create(board=floor, label="Old one", revoked_at=timezone.now())
    TvLink.objects.create(board=boards["mixed"], label="Elsewhere")
    boss = _boss(boards)
    reply = boss.get(f"/boards/{floor.pk}/tvs/")
    assert reply.status_code == 200
    html = reply.content.decode()
    assert html.strip().startswith('<ul id="tv-screens"')
    assert 'hx-trigger="every 10s"' in html
    assert "last seen 5\xa0minutes ago" in html
    assert f"1366{TIMES}768" in html
    assert "Chrome 131 on Linux" in html
    assert "never connected" in html
    assert "Old one" not in html
    assert "Elsewhere" not in html
    # The editor's first render is the same fragment (its tokens aside: signed at each render).
    page = boss.get(f"/boards/{floor.pk}/").content.decode()
    assert _without_tokens(html.strip()) in _without_tokens(page)
    assert boss.get(f"/boards/{boards['mixed'].pk}/tvs/").status_code == 404
    viewer = _client(make_user("viewer", "viewer", accounts=(boards["ours"],)))
    assert viewer.get(f"/boards/{floor.pk}/tvs/").status_code == 403


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/156.0.0.0 Safari/537.36",
            "Chrome 156 on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            "Edge 131 on Windows",
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox 133 on Linux",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Safari 18 on macOS",
        ),
        (
            "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) "
            "85.0.4183.93/6.5 TV Safari/537.36 SamsungBrowser/4.0",
            "Samsung Internet 4 on Tizen",
        ),
        (
            "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/87.0.4280.88 Safari/537.36 WebAppManager",
            "Chrome 87 on webOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.81 Mobile Safari/537.36",
            "Chrome 131 on Android",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
            "Safari 17 on iOS",
        ),
        ("SomeKiosk/1.0 (embedded)", "SomeKiosk/1.0 (embedded)"),
    ],
)
def test_a_browser_gets_a_short_name(user_agent: str, name: str) -> None:
    assert browser_name(user_agent) == name
