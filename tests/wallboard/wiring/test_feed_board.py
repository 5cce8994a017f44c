"""The board says which input an account is on (ADR 019): "polling", then "live feed" as
soon as its feed delivers, pushed through the product's hook like any stored change."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from tests.conftest import Sim, make_account, make_user
from wallboard.asgi import application
from wallboard.monitoring.feeds import set_feed_live
from wallboard.wiring.pipeline import after_commit, poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _cookie(account: Any) -> str:
    make_user("watcher", "supervisor", accounts=(account,))
    client = Client()
    assert client.login(username="watcher", password="pw")
    return client.cookies["sessionid"].value


async def test_the_account_header_says_live_feed_or_polling(daktela_sim: Sim) -> None:
    account = await database_sync_to_async(make_account)(daktela_sim)
    await database_sync_to_async(poll)(account)
    cookie = await database_sync_to_async(_cookie)(account)
    comm = WebsocketCommunicator(
        application,
        "/ws/board/",
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ],
    )
    assert (await comm.connect())[0]
    full = await comm.receive_from(timeout=5)
    assert 'data-input="poll">polling<' in full

    assert await database_sync_to_async(set_feed_live)(account.pk, True, on_commit=after_commit)
    update = await asyncio.wait_for(comm.receive_from(), 5)
    assert f'id="status-{account.pk}"' in update
    assert 'data-input="feed">live feed<' in update

    assert await database_sync_to_async(set_feed_live)(account.pk, False, on_commit=after_commit)
    update = await asyncio.wait_for(comm.receive_from(), 5)
    assert 'data-input="poll">polling<' in update
    await comm.disconnect()
