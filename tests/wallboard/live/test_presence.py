"""A change is rendered only for the groups some screen watches (ADR 031), over the real
Redis channel layer and the real record; a screen that misses a change through it sees the
gap in the sequence numbers, which live.js resyncs from."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from providers.model import AgentStatus
from tests.conftest import Sim
from tests.wallboard.live.sockets import cookie_and_account
from wallboard.asgi import application
from wallboard.dashboards.models import Board
from wallboard.live import presence
from wallboard.live.presence import Screens, Watch
from wallboard.live.push import account_group
from wallboard.monitoring.models import ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SEQ = re.compile(r'id="seq-\d+" class="seq" data-seq="(\d+)"([^>]*)>')


def _screen(cookie: str, language: str, path: str = "/ws/board/") -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={cookie}".encode()),
        (b"accept-language", language.encode()),
    ]
    return WebsocketCommunicator(application, path, headers=headers)


async def _marker(comm: WebsocketCommunicator) -> tuple[int, str]:
    """The sequence number of the next message, and its marker's flags."""
    found = SEQ.search(await comm.receive_from(timeout=5))
    assert found is not None
    return int(found[1]), found[2]


def _flip(sim: Sim, account_pk: int) -> int:
    """One agent changes status; polled and stored: the new ``seq``."""
    engine = sim.engine
    agent = next(a for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    engine.set_status(agent.id, AgentStatus.PAUSED, pause_id="7")
    return poll(ProviderAccount.objects.get(pk=account_pk)).seq


def _quiet_poll(account_pk: int) -> int:
    return poll(ProviderAccount.objects.get(pk=account_pk)).seq


async def test_screens_say_what_they_watch_until_they_close(daktela_sim: Sim) -> None:
    cookie, account_pk = await database_sync_to_async(cookie_and_account)(daktela_sim)
    await database_sync_to_async(_quiet_poll)(account_pk)
    assert presence.screens(account_pk) == Screens()

    english, polish = _screen(cookie, "en"), _screen(cookie, "pl")
    for comm in (english, polish):
        assert (await comm.connect())[0]
        await comm.receive_from(timeout=5)
    assert presence.screens(account_pk) == Screens(account={"en", "pl"})

    await english.disconnect()
    # Another process may still have a screen in English: the field lapses, it is not
    # removed, and this process no longer renews it.
    record = presence._by_loop[asyncio.get_running_loop()]
    assert record.counts.fields(account_pk) == ["account:pl"]
    await polish.disconnect()
    assert not record.counts


def _board(account_pk: int, widgets: list[str]) -> int:
    board = Board.objects.create(name="Wall", widgets=widgets)
    board.accounts.set([account_pk])
    return board.pk


async def test_a_boards_screen_says_which_widgets_it_shows(daktela_sim: Sim) -> None:
    cookie, account_pk = await database_sync_to_async(cookie_and_account)(daktela_sim)
    board_pk = await database_sync_to_async(_board)(account_pk, ["callers", "leaders"])
    plain, wall = _screen(cookie, "en"), _screen(cookie, "en", f"/ws/board/?board={board_pk}")
    assert (await plain.connect())[0]
    await plain.receive_from(timeout=5)
    assert presence.screens(account_pk) == Screens(account={"en"})

    assert (await wall.connect())[0]
    await wall.receive_from(timeout=5)
    assert presence.screens(account_pk) == Screens(account={"en"}, widgets={"callers", "leaders"})
    for comm in (plain, wall):
        await comm.disconnect()


async def test_a_language_nobody_watches_is_not_rendered(daktela_sim: Sim, settings: Any) -> None:
    settings.LIVE_HEARTBEAT_S = 3600
    cookie, account_pk = await database_sync_to_async(cookie_and_account)(daktela_sim)
    await database_sync_to_async(_quiet_poll)(account_pk)
    # Subscribed to the Polish group without saying so: it gets what a Polish screen gets.
    layer: Any = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(account_group(account_pk, "pl"), channel)
    english = _screen(cookie, "en")
    assert (await english.connect())[0]
    await english.receive_from(timeout=5)

    unseen = await database_sync_to_async(_flip)(daktela_sim, account_pk)
    assert (await _marker(english))[0] == unseen

    polish = _screen(cookie, "pl")
    assert (await polish.connect())[0]
    await polish.receive_from(timeout=5)
    seen = await database_sync_to_async(_flip)(daktela_sim, account_pk)
    message = await asyncio.wait_for(layer.receive(channel), 5)
    found = SEQ.search(message["html"])
    assert found is not None
    assert int(found[1]) == seen, "the first message the Polish group was sent"
    assert seen == unseen + 1
    assert (await _marker(polish))[0] == seen
    assert (await _marker(english))[0] == seen
    await layer.group_discard(account_group(account_pk, "pl"), channel)
    for comm in (english, polish):
        await comm.disconnect()


async def test_a_screen_the_record_missed_sees_the_gap_and_resyncs(
    daktela_sim: Sim, settings: Any
) -> None:
    """The record read before a screen said it watches (or after its field lapsed): the
    change is not sent to it, and the next heartbeat, sent to every language, carries the
    newer number, which live.js takes as a gap (``m.beat && m.seq > last``) and resyncs
    from; the full state it then gets has the change."""
    settings.LIVE_HEARTBEAT_S = 0  # every quiet poll sends the heartbeat
    cookie, account_pk = await database_sync_to_async(cookie_and_account)(daktela_sim)
    held = await database_sync_to_async(_quiet_poll)(account_pk)
    screen = _screen(cookie, "en")
    assert (await screen.connect())[0]
    seq, flags = await _marker(screen)
    assert (seq, "data-full" in flags) == (held, True)

    # Redis lost the record (a restart): nothing says this screen watches until renewed.
    client = aioredis.Redis.from_url(django_settings.REDIS_URL)
    await client.delete(f"{django_settings.REDIS_PREFIX}:watched:{account_pk}")
    await client.aclose()
    missed = await database_sync_to_async(_flip)(daktela_sim, account_pk)
    assert await screen.receive_nothing(timeout=0.5)

    assert await database_sync_to_async(_quiet_poll)(account_pk) == missed
    seq, flags = await _marker(screen)
    assert (seq, "data-beat" in flags) == (missed, True)
    assert seq > held, "a beat newer than what the screen holds: live.js resyncs"

    # Reconnecting (what the resync does) says it watches again and gets the change.
    await screen.disconnect()
    screen = _screen(cookie, "en")
    assert (await screen.connect())[0]
    assert (await _marker(screen))[0] == missed
    assert presence.screens(account_pk) == Screens(account={"en"})
    await screen.disconnect()


def test_what_screens_watch_is_read_back_from_the_fields() -> None:
    watches = [
        Watch(3, "en"),
        Watch(3, "cs", frozenset({12, 4})),
        Watch(3, "pl", frozenset()),
        Watch(3, "pl", agent_pk=40),
    ]
    assert Screens.of(w.field for w in watches) == Screens(
        account={"en"},
        selections={frozenset({4, 12}): {"cs"}, frozenset(): {"pl"}},
        agents={40: {"pl"}},
    )
    assert Screens.of(w.field for w in watches).languages() == {"en", "cs", "pl"}
