"""The check for sends stuck behind a full buffer (ADR 018) runs while its event loop has
sockets and stops with the last one: nothing left running per loop."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.conftest import Sim
from tests.wallboard.live.sockets import cookie_and_account
from wallboard.asgi import application
from wallboard.live.consumers import _SendWatch

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


async def _watched() -> int:
    """How many sockets this loop's watch holds, once the last connect has settled."""
    for _ in range(100):
        watch = _SendWatch.loops.get(asyncio.get_running_loop())
        if watch is not None:
            return len(watch.consumers)
        await asyncio.sleep(0.01)
    return 0


async def test_the_watch_holds_each_open_socket_and_stops_with_the_last(
    daktela_sim: Sim,
) -> None:
    cookie, _ = await database_sync_to_async(cookie_and_account)(daktela_sim)
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"),
               (b"cookie", f"sessionid={cookie}".encode())]  # fmt: skip
    sockets = [WebsocketCommunicator(application, "/ws/board/", headers=headers) for _ in "ab"]
    for socket in sockets:
        assert (await socket.connect())[0]
        assert "data-full" in await socket.receive_from()
    await asyncio.sleep(0.05)
    watch = _SendWatch.loops[asyncio.get_running_loop()]

    assert await _watched() == 2
    await sockets[0].disconnect()
    assert await _watched() == 1
    await sockets[1].disconnect()
    assert asyncio.get_running_loop() not in _SendWatch.loops
    await asyncio.sleep(0)
    assert watch.task.cancelled() or watch.task.done()
