"""Open sockets end when the person's rights change, and TV links stop working when they
expire: rights are checked again on the reconnect that follows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from tests.conftest import Sim, make_account, make_user
from wallboard.accounts.models import AgentLink, Profile
from wallboard.asgi import application
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account(daktela_sim: Sim) -> ProviderAccount:
    account = make_account(daktela_sim)
    assert poll(account).ok
    return account


def _ws(path: str, session: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def _open_socket(user: Any, path: str) -> WebsocketCommunicator:
    def session() -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    comm = _ws(path, await database_sync_to_async(session)())
    assert (await comm.connect())[0]
    await comm.receive_from(timeout=5)
    return comm


async def _closed_after(comm: WebsocketCommunicator, change: Callable[[], object]) -> bool:
    await database_sync_to_async(change)()
    message = await comm.receive_output(timeout=5)
    return bool(message["type"] == "websocket.close")


async def test_a_role_change_closes_the_socket(account: ProviderAccount) -> None:
    user = await database_sync_to_async(make_user)("sup", "supervisor", accounts=(account,))
    comm = await _open_socket(user, "/ws/board/")

    def demote() -> None:
        profile = Profile.objects.get(user=user)
        profile.role = "viewer"
        profile.save()

    assert await _closed_after(comm, demote)


async def test_removing_an_account_from_the_scope_closes_the_socket(
    account: ProviderAccount,
) -> None:
    user = await database_sync_to_async(make_user)("sup", "supervisor", accounts=(account,))
    comm = await _open_socket(user, "/ws/board/")
    assert await _closed_after(comm, lambda: user.profile.accounts.remove(account))


async def test_deactivating_a_user_closes_the_socket(account: ProviderAccount) -> None:
    user = await database_sync_to_async(make_user)("sup", "supervisor", accounts=(account,))
    comm = await _open_socket(user, "/ws/board/")

    def deactivate() -> None:
        user.is_active = False
        user.save()

    assert await _closed_after(comm, deactivate)


async def test_unlinking_an_agent_closes_their_socket(account: ProviderAccount) -> None:
    def agent_user() -> Any:
        agent = Agent.objects.filter(account=account).exclude(status="OFFLINE").first()
        return make_user("me", "agent", agent=agent)

    user = await database_sync_to_async(agent_user)()
    comm = await _open_socket(user, "/ws/me/")
    assert await _closed_after(comm, lambda: AgentLink.objects.filter(user=user).delete())


async def test_an_expired_tv_link_is_refused(account: ProviderAccount) -> None:
    def expired_link() -> TvLink:
        board = Board.objects.create(name="Wall")
        board.accounts.add(account)
        return TvLink.objects.create(board=board, expires_at=timezone.now() - timedelta(seconds=1))

    link = await database_sync_to_async(expired_link)()
    assert not (await _ws(f"/ws/tv/{link.token}/").connect())[0]
    page = await database_sync_to_async(Client().get)(f"/tv/{link.token}/")
    assert page.status_code == 404
