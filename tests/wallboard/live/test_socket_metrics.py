"""wallboard_sockets_open counts the sockets open now, per audience: up on accept, down on
any close (the browser's, or the server's when a TV link is revoked); refused sockets never
count."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from tests.conftest import Sim, make_account, make_user
from wallboard import metrics
from wallboard.asgi import application
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import Agent
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


def _open() -> dict[str, float]:
    return {
        audience: metrics.REGISTRY.get_sample_value(
            "wallboard_sockets_open", {"audience": audience}
        )
        or 0.0
        for audience in ("board", "tv", "agent")
    }


def _setup(sim: Sim) -> tuple[str, str, TvLink]:
    account = make_account(sim)
    assert poll(account).ok
    agent = Agent.objects.filter(account=account).first()
    make_user("boss", "supervisor", accounts=(account,))
    make_user("agent", "agent", accounts=(account,), agent=agent)
    cookies = []
    for name in ("boss", "agent"):
        client = Client()
        assert client.login(username=name, password="pw")
        cookies.append(client.cookies["sessionid"].value)
    board = Board.objects.create(name="wall")
    board.accounts.set([account])
    return cookies[0], cookies[1], TvLink.objects.create(board=board)


def _socket(path: str, cookie: str | None = None) -> WebsocketCommunicator:
    headers = [*HEADERS, *([(b"cookie", f"sessionid={cookie}".encode())] if cookie else [])]
    return WebsocketCommunicator(application, path, headers=headers)


async def test_sockets_are_counted_per_audience_while_open(daktela_sim: Sim) -> None:
    boss, agent, link = await database_sync_to_async(_setup)(daktela_sim)
    before = _open()
    sockets = [
        _socket("/ws/board/", boss),
        _socket("/ws/board/", boss),
        _socket(f"/ws/tv/{link.token}/"),
        _socket("/ws/me/", agent),
    ]
    for socket in sockets:
        assert (await socket.connect())[0]
        await socket.receive_from(timeout=5)
    refused = _socket("/ws/board/")  # no session
    assert not (await refused.connect())[0]

    now = _open()
    assert now["board"] == before["board"] + 2
    assert now["tv"] == before["tv"] + 1
    assert now["agent"] == before["agent"] + 1

    # Revoking the link closes the TV's socket from the server's side.
    await database_sync_to_async(link.revoke)()
    closed = await asyncio.wait_for(sockets[2].receive_output(timeout=5), 5)
    assert closed["type"] == "websocket.close"
    await sockets[2].disconnect()
    for socket in (sockets[0], sockets[1], sockets[3]):
        await socket.disconnect()
    assert _open() == before
