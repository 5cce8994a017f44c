"""A TV says what it is over its socket (ADR 027): its hello is stored on its link, its page
and its open sockets are counted on every web process, anything else it sends is ignored
with the socket kept, and a flood still closes it. The other screens stay read-only."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from tests.conftest import make_account, make_user
from wallboard.asgi import application
from wallboard.dashboards.fleet import Screens
from wallboard.dashboards.models import TIMES, Board, TvLink
from wallboard.live.consumers import CLOSE_POLICY_VIOLATION, MAX_CLIENT_MESSAGES_PER_S
from wallboard.live.slots import tv_screens
from wallboard.monitoring.models import ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0"
HELLO = {
    "screen_w": 1920,
    "screen_h": 1080,
    "dpr": 1.5,
    "viewport_w": 1280,
    "viewport_h": 720,
    "ua": UA,
    "page": 1,
    "pages": 3,
}


@pytest.fixture
def link(start_sim: Any) -> TvLink:
    account = make_account(start_sim("daktela"))
    assert poll(account).ok
    board = Board.objects.create(name="Wall")
    board.accounts.set([account])
    return TvLink.objects.create(board=board, label="By the door")


def _ws(path: str, session: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def _open(path: str, session: str | None = None) -> WebsocketCommunicator:
    comm = _ws(path, session)
    assert (await comm.connect())[0]
    await comm.receive_from(timeout=5)  # the full state
    return comm


async def _link(pk: int) -> TvLink:
    return await database_sync_to_async(TvLink.objects.get)(pk=pk)


async def _until(check: Callable[[], Any]) -> None:
    """Wait (5 s at most) for what a socket was sent to have its effect."""
    for _ in range(100):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never happened")


async def _send(comm: WebsocketCommunicator, data: Any) -> None:
    await comm.send_to(text_data=data if isinstance(data, str) else json.dumps(data))


async def test_a_tvs_hello_is_stored_and_its_page_and_sockets_counted(link: TvLink) -> None:
    comm = await _open(f"/ws/tv/{link.token}/")
    connected = (await _link(link.pk)).last_seen_at
    assert connected is not None
    assert await sync_to_async(tv_screens)([link.pk]) == {link.pk: Screens(1, "")}

    await _send(comm, HELLO)

    async def greeted() -> bool:
        return (await _link(link.pk)).user_agent == UA

    await _until(greeted)
    stored = await _link(link.pk)
    assert (stored.screen_w, stored.screen_h, stored.pixel_ratio) == (1920, 1080, 1.5)
    assert (stored.viewport_w, stored.viewport_h) == (1280, 720)
    assert stored.screen_size == f"1920{TIMES}1080 @1.5x (window 1280{TIMES}720)"
    assert stored.browser == "Chrome 131 on Linux"
    assert stored.last_seen_at is not None
    assert stored.last_seen_at >= connected
    assert await sync_to_async(tv_screens)([link.pk]) == {link.pk: Screens(1, "1 / 3")}

    await _send(comm, {"page": 2, "pages": 3})

    async def turned() -> bool:
        return await sync_to_async(tv_screens)([link.pk]) == {link.pk: Screens(1, "2 / 3")}

    await _until(turned)
    second = await _open(f"/ws/tv/{link.token}/")
    assert (await sync_to_async(tv_screens)([link.pk]))[link.pk].sockets == 2

    await second.disconnect()
    await comm.disconnect()
    assert (await sync_to_async(tv_screens)([link.pk]))[link.pk].sockets == 0
    gone = (await _link(link.pk)).last_seen_at
    assert gone is not None
    assert stored.last_seen_at is not None
    assert gone >= stored.last_seen_at


async def test_what_is_no_report_is_ignored_and_the_tv_stays(
    link: TvLink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="wallboard.live.consumers")
    comm = await _open(f"/ws/tv/{link.token}/")
    for bad in (
        "hello",
        "[1, 2]",
        {**HELLO, "evil": "<script>"},
        {**HELLO, "screen_w": 10**9},
        {**HELLO, "ua": "x\u0000y"},
        {"page": 4, "pages": 3},
    ):
        await _send(comm, bad)
    await comm.send_to(bytes_data=b"\x00\x01")
    await _send(comm, HELLO)

    async def greeted() -> bool:
        return (await _link(link.pk)).user_agent == UA

    await _until(greeted)
    # One hello per socket: a second one changes nothing.
    await _send(comm, {**HELLO, "ua": "Firefox/140", "screen_w": 800})
    await _send(comm, {"page": 3, "pages": 3})

    async def turned() -> bool:
        return (await sync_to_async(tv_screens)([link.pk]))[link.pk].page == "3 / 3"

    await _until(turned)
    stored = await _link(link.pk)
    assert (stored.user_agent, stored.screen_w) == (UA, 1920)
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert len(ignored) == 8, ignored
    assert "<script>" not in " ".join(ignored)
    assert await comm.receive_nothing(timeout=0.3)  # still open: nothing closed it
    await comm.disconnect()


def _session(account: ProviderAccount) -> str:
    user = make_user("watcher", "supervisor", accounts=(account,))
    client = Client()
    client.force_login(user)
    return str(client.cookies["sessionid"].value)


async def test_the_board_page_ignores_a_hello(link: TvLink) -> None:
    account = await database_sync_to_async(lambda: link.board.accounts.get())()
    comm = await _open("/ws/board/", await database_sync_to_async(_session)(account))
    for _ in range(MAX_CLIENT_MESSAGES_PER_S):
        await _send(comm, HELLO)
    assert await comm.receive_nothing(timeout=0.5)  # not closed, nothing sent back
    assert (await _link(link.pk)).user_agent == ""
    await comm.disconnect()


async def test_a_tv_that_floods_is_closed(link: TvLink) -> None:
    comm = await _open(f"/ws/tv/{link.token}/")
    for page in range(MAX_CLIENT_MESSAGES_PER_S + 5):
        await _send(comm, {"page": page % 3 + 1, "pages": 3})
    for _ in range(20):
        message = await comm.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            assert message.get("code") == CLOSE_POLICY_VIOLATION
            break
    else:
        raise AssertionError("not closed")
    await comm.disconnect()
