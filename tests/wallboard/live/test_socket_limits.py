"""What a socket may cost the server, against a real uvicorn process over the real Redis
layer: a screen that stops reading is dropped without holding up the others, and what
clients send is ignored, bounded in size and in rate."""

from __future__ import annotations

import asyncio
import re

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from tests.conftest import Sim
from tests.wallboard.live.sockets import cookie_and_account
from tools.processes import Server
from tools.wsclient import WebSocketClient
from wallboard.live.consumers import (
    CLOSE_LAGGING,
    CLOSE_POLICY_VIOLATION,
    MAX_CLIENT_MESSAGES_PER_S,
    SEND_TIMEOUT_S,
)
from wallboard.live.push import account_group

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MARK = re.compile(r'data-test-seq="(\d+)"')
# Far more than the loopback socket buffers (a few MB each way) and uvicorn's 64 KiB, so a
# screen that does not read blocks the server's sends to it.
BURST = 48
BIG = 256 * 1024
DEADLINE_S = 60


async def _watchers(server: Server, sim: Sim, count: int) -> tuple[list[WebSocketClient], int]:
    """``count`` board sockets that have read their full state, and the account they watch."""
    cookie, account = await database_sync_to_async(cookie_and_account)(sim)
    headers = {"Cookie": f"sessionid={cookie}", "Origin": server.url}
    clients = []
    for _ in range(count):
        client = await WebSocketClient.connect(server.host, server.port, "/ws/board/", headers)
        assert "data-full" in (await asyncio.wait_for(client.recv(), DEADLINE_S) or "")
        clients.append(client)
    return clients, account


async def _push(account: int, seq: int, size: int = 100) -> None:
    layer = get_channel_layer()
    assert layer is not None
    html = f'<div id="t" hx-swap-oob="true" data-test-seq="{seq}">{"x" * size}</div>'
    await layer.group_send(account_group(account), {"type": "board.update", "html": html})


async def _read_until(client: WebSocketClient, last: int) -> list[int]:
    """The sequence numbers read up to ``last``, or up to the close if it comes first."""
    seen: list[int] = []
    while not seen or seen[-1] != last:
        text = await client.recv()
        if text is None:
            break
        seen.extend(int(m) for m in MARK.findall(text))
    return seen


async def test_a_screen_that_stops_reading_is_dropped_and_the_others_get_everything(
    web_server: Server, daktela_sim: Sim
) -> None:
    clients, account = await _watchers(web_server, daktela_sim, 4)
    *readers, stalled = clients
    for seq in range(BURST):
        await _push(account, seq, BIG)
    got = await asyncio.wait_for(
        asyncio.gather(*(_read_until(r, BURST - 1) for r in readers)), DEADLINE_S
    )
    assert got == [list(range(BURST))] * len(readers)

    # Let the stalled socket's send time out, then check it is out of the groups: the next
    # delta reaches the readers, and the stalled one, reading again, finds its stream
    # ending with a close (it reconnects from that and gets the full state).
    await asyncio.sleep(SEND_TIMEOUT_S + 5)
    await _push(account, BURST)
    got = await asyncio.wait_for(
        asyncio.gather(*(_read_until(r, BURST) for r in readers)), DEADLINE_S
    )
    assert got == [[BURST]] * len(readers)
    stalled_saw = await asyncio.wait_for(_read_until(stalled, BURST), DEADLINE_S)
    assert stalled.closed
    assert stalled.close_code == CLOSE_LAGGING
    assert stalled_saw == list(range(len(stalled_saw)))
    assert len(stalled_saw) < BURST
    for client in clients:
        await client.close()


async def test_a_frame_over_64_kib_closes_the_socket(web_server: Server, daktela_sim: Sim) -> None:
    (sender, reader), account = await _watchers(web_server, daktela_sim, 2)
    await sender.send("x" * (1024 * 1024))
    assert await asyncio.wait_for(sender.recv(), DEADLINE_S) is None
    assert sender.close_code == 1009  # RFC 6455: message too big
    await _push(account, 1)
    assert await asyncio.wait_for(_read_until(reader, 1), DEADLINE_S) == [1]
    await reader.close()


async def test_a_flooding_socket_is_closed_and_the_others_are_served(
    web_server: Server, daktela_sim: Sim
) -> None:
    (flooder, reader), account = await _watchers(web_server, daktela_sim, 2)
    # Small messages are ignored, then the socket is closed: pages never send anything.
    await flooder.send("hello")
    await _push(account, 1)
    assert await asyncio.wait_for(_read_until(flooder, 1), DEADLINE_S) == [1]
    for _ in range(MAX_CLIENT_MESSAGES_PER_S * 100):
        await flooder.send("{}")
    assert await asyncio.wait_for(_read_until(flooder, -1), DEADLINE_S) == []
    assert flooder.close_code == CLOSE_POLICY_VIOLATION
    await _push(account, 2)
    assert await asyncio.wait_for(_read_until(reader, 2), DEADLINE_S) == [1, 2]
    await reader.close()
    await flooder.close()
