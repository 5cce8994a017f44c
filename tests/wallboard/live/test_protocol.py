"""The web server's WebSocket protocol (ADR 018): a frame built once per process reads, in a
standard client, as exactly the text sent; compression is negotiated as configured."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from hypothesis import given
from hypothesis import strategies as st
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from tests.conftest import Sim
from tests.wallboard.live.sockets import cookie_and_account
from tools.processes import Server, serve
from tools.wsclient import WebSocketClient
from wallboard.live.protocol import WINDOW_BITS, deflate_factory, text_frame
from wallboard.live.push import account_group

DELTA = '<div id="agent-7" hx-swap-oob="true" class="tile paused">Paused · 00:00</div>' * 3


def _client(deflate: bool) -> tuple[ClientProtocol, int | None]:
    """A websockets client past its handshake with a server built as ours is, and the
    server's negotiated window (None: no compression)."""
    client = ClientProtocol(
        parse_uri("ws://board.test/ws/board/"),
        extensions=[ClientPerMessageDeflateFactory()] if deflate else None,
    )
    server = ServerProtocol(extensions=[deflate_factory()])
    request = client.connect()
    client.send_request(request)
    server.receive_data(b"".join(client.data_to_send()))
    [received] = server.events_received()
    server.send_response(server.accept(received))
    client.receive_data(b"".join(server.data_to_send()))
    client.events_received()
    window = next((e.local_max_window_bits for e in server.extensions), None)
    return client, window


def _read(client: ClientProtocol, data: bytes) -> list[Frame]:
    client.receive_data(data)
    return [e for e in client.events_received() if isinstance(e, Frame)]


@pytest.mark.parametrize("deflate", [True, False])
def test_a_shared_frame_reads_as_the_text_in_a_standard_client(deflate: bool) -> None:
    client, window = _client(deflate)
    assert window == (WINDOW_BITS if deflate else None)

    frames = _read(client, text_frame(DELTA, window) + text_frame(DELTA + "!", window))

    assert [(f.opcode, f.fin, bytes(f.data).decode()) for f in frames] == [
        (Opcode.TEXT, True, DELTA),
        (Opcode.TEXT, True, DELTA + "!"),
    ]


def test_compressed_frames_take_no_context_from_earlier_messages() -> None:
    """The same text gives the same bytes whatever was sent before: what lets one frame
    serve every socket."""
    first = text_frame(DELTA, WINDOW_BITS)
    text_frame.cache_clear()
    text_frame("something else entirely " * 20, WINDOW_BITS)

    assert text_frame(DELTA, WINDOW_BITS) == first
    assert len(first) < len(DELTA.encode())


@given(st.text(max_size=3000), st.booleans())
def test_any_text_survives_the_shared_frame(text: str, deflate: bool) -> None:
    client, window = _client(deflate)

    [frame] = _read(client, text_frame(text, window))

    assert bytes(frame.data).decode() == text


async def _board_sockets(
    server: Server, sim: Sim, offers: tuple[bool, ...]
) -> tuple[list[WebSocketClient], int]:
    cookie, account = await database_sync_to_async(cookie_and_account)(sim)
    headers = {"Cookie": f"sessionid={cookie}", "Origin": server.url}
    sockets = []
    for deflate in offers:
        socket = await WebSocketClient.connect(
            server.host, server.port, "/ws/board/", headers, deflate
        )
        assert "data-full" in (await asyncio.wait_for(socket.recv(), 30) or "")
        sockets.append(socket)
    return sockets, account


async def _delta_to_all(sockets: list[WebSocketClient], account: int) -> list[str | None]:
    layer = get_channel_layer()
    assert layer is not None
    await layer.group_send(account_group(account), {"type": "board.update", "html": DELTA})
    return list(await asyncio.gather(*(asyncio.wait_for(s.recv(), 30) for s in sockets)))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_screens_with_and_without_compression_read_the_same_delta(
    web_server: Server, daktela_sim: Sim
) -> None:
    sockets, account = await _board_sockets(web_server, daktela_sim, (True, True, False))

    assert await _delta_to_all(sockets, account) == [DELTA] * 3
    offered, _, plain = sockets
    # Chromium offers permessage-deflate: the server takes it, without keeping a context.
    assert "permessage-deflate" in offered.extensions
    assert "server_no_context_takeover" in offered.extensions
    assert offered.compressed_messages == 2  # the full state and the delta
    assert plain.extensions == ""
    assert plain.compressed_messages == 0
    for socket in sockets:
        await socket.close()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_compression_switched_off_is_not_negotiated(daktela_sim: Sim) -> None:
    with serve("--ws-per-message-deflate", "false") as server:
        sockets, account = await _board_sockets(server, daktela_sim, (True,))

        assert await _delta_to_all(sockets, account) == [DELTA]
        assert sockets[0].extensions == ""
        assert sockets[0].compressed_messages == 0
        await sockets[0].close()
