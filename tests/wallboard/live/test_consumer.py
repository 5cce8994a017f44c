"""The board socket over the real Redis channel layer: full state, then only what changed."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from providers.model import AgentStatus
from tests.conftest import Sim, make_account, make_user
from wallboard.asgi import application
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OOB = re.compile(r'<(\w+) id="([^"]+)"[^>]*hx-swap-oob="true"')


def _session_cookie(*accounts: ProviderAccount) -> str:
    make_user("watcher", "supervisor", accounts=accounts)
    client = Client()
    assert client.login(username="watcher", password="pw")
    return client.cookies["sessionid"].value


def _communicator(cookie: str | None, origin: str = "http://localhost") -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/board/", headers=headers)


async def _receive(comm: WebsocketCommunicator, timeout: float = 5) -> str:
    message: Any = await comm.receive_from(timeout=timeout)
    assert isinstance(message, str)
    return message


async def test_board_gets_full_state_then_exactly_the_changed_agent(
    daktela_sim: Sim, settings: Any
) -> None:
    settings.LIVE_HEARTBEAT_S = 3600
    account = await database_sync_to_async(make_account)(daktela_sim)
    await database_sync_to_async(poll)(account)
    engine = daktela_sim.engine
    agent_id = next(a.id for a in engine.truth().agents if a.status is AgentStatus.IDLE)
    engine.set_status(agent_id, AgentStatus.PAUSED, pause_id="7")
    await database_sync_to_async(poll)(account)
    cookie = await database_sync_to_async(_session_cookie)(account)

    comm = _communicator(cookie)
    connected, _ = await comm.connect()
    assert connected
    full = await _receive(comm)
    seq = (await database_sync_to_async(ProviderAccount.objects.get)(pk=account.pk)).seq
    assert f'id="account-{account.pk}"' in full
    assert f'data-seq="{seq}" data-full' in full

    # Same status, another reason: no queue figure moves, so one tile changes.
    engine.set_status(agent_id, AgentStatus.PAUSED, pause_id="4")
    await database_sync_to_async(poll)(account)
    update = await _receive(comm)
    agent = await database_sync_to_async(Agent.objects.get)(account=account, vendor_id=agent_id)
    assert OOB.findall(update) == [("article", f"agent-{agent.pk}"), ("div", f"seq-{account.pk}")]
    assert "Backoffice" in update
    assert f'data-seq="{seq + 1}"' in update
    assert "data-full" not in update

    # Nothing changes: nothing is sent (within the heartbeat period).
    await database_sync_to_async(poll)(account)
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_a_quiet_poll_sends_only_the_heartbeat_marker(
    daktela_sim: Sim, settings: Any
) -> None:
    """A screen must tell a quiet call center from a frozen pipeline: a poll that changes
    nothing still sends the account's marker, with the same number, once per period."""
    settings.LIVE_HEARTBEAT_S = 3600
    account = await database_sync_to_async(make_account)(daktela_sim)
    await database_sync_to_async(poll)(account)
    cookie = await database_sync_to_async(_session_cookie)(account)
    comm = _communicator(cookie)
    connected, _ = await comm.connect()
    assert connected
    await _receive(comm)
    seq = (await database_sync_to_async(ProviderAccount.objects.get)(pk=account.pk)).seq

    settings.LIVE_HEARTBEAT_S = 0
    await database_sync_to_async(poll)(account)
    beat = await _receive(comm)
    assert OOB.findall(beat) == [("div", f"seq-{account.pk}")]
    assert f'data-seq="{seq}" data-beat' in beat

    settings.LIVE_HEARTBEAT_S = 3600
    await database_sync_to_async(poll)(account)
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_a_socket_without_a_session_is_refused() -> None:
    comm = _communicator(None)
    connected, _ = await comm.connect()
    assert not connected


async def test_a_socket_from_a_foreign_origin_is_refused() -> None:
    cookie = await database_sync_to_async(_session_cookie)()
    comm = _communicator(cookie, origin="http://evil.example")
    connected, _ = await comm.connect()
    assert not connected


async def test_an_account_going_stale_reaches_the_board(daktela_sim: Sim) -> None:
    account = await database_sync_to_async(make_account)(daktela_sim)
    await database_sync_to_async(poll)(account)
    cookie = await database_sync_to_async(_session_cookie)(account)
    comm = _communicator(cookie)
    assert (await comm.connect())[0]
    await _receive(comm)
    daktela_sim.server.faults.status = 500
    await database_sync_to_async(poll)(account)
    update = await asyncio.wait_for(_receive(comm), 5)
    assert f'id="status-{account.pk}"' in update
    assert "Stale since" in update
    await comm.disconnect()
