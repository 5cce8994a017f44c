"""Open sockets follow what their owner may see, whoever changes it and wherever: a TV link
deleted, expired or edited into the past, a board losing an account, a password reset, a
superuser flag removed, an agent link re-pointed — each made the way an admin makes it, in
the admin's forms — and the Origin and the number of sockets a session or link may hold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone

from tests.admin_forms import submit_admin_form
from tests.conftest import make_account, make_user
from wallboard.accounts.models import AgentLink
from wallboard.asgi import application
from wallboard.dashboards.models import Board, TvLink
from wallboard.live.consumers import CLOSE_POLICY_VIOLATION, CLOSE_UNAUTHORISED
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def accounts(start_sim: Any) -> list[ProviderAccount]:
    made = [make_account(start_sim("daktela"), name=n) for n in ("North", "South")]
    for account in made:
        assert poll(account).ok
    return made


@pytest.fixture
def admin() -> Client:
    get_user_model().objects.create_superuser("root", password="pw")
    client = Client()
    assert client.login(username="root", password="pw")
    return client


def _ws(
    path: str,
    session: str | None = None,
    *,
    origin: str = "http://localhost",
    host: str = "localhost",
    scheme: str = "ws",
) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", host.encode())]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    comm = WebsocketCommunicator(application, path, headers=headers)
    comm.scope["scheme"] = scheme
    return comm


def _session(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies["sessionid"].value)


async def _open(path: str, session: str | None = None) -> WebsocketCommunicator:
    comm = _ws(path, session)
    assert (await comm.connect())[0]
    await comm.receive_from(timeout=5)  # the full state
    return comm


async def _closes(comm: WebsocketCommunicator, code: int = CLOSE_UNAUTHORISED) -> bool:
    """Whether the socket is closed with ``code`` (the updates that may come first skipped)."""
    for _ in range(20):
        message = await comm.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            return bool(message.get("code") == code)
    return False


def _board_with_link(accounts: list[ProviderAccount], **link: Any) -> TvLink:
    board = Board.objects.create(name="Wall")
    board.accounts.set(accounts)
    return TvLink.objects.create(board=board, label="By the door", **link)


# -- TV links (finding 3) and boards (finding 4) -------------------------------------------


async def test_deleting_a_tv_link_in_the_admin_ends_its_socket(
    accounts: list[ProviderAccount], admin: Client
) -> None:
    link = await database_sync_to_async(_board_with_link)(accounts)
    comm = await _open(f"/ws/tv/{link.token}/")
    url = f"/admin/dashboards/tvlink/{link.pk}/delete/"
    reply = await database_sync_to_async(admin.post)(url, {"post": "yes"})
    assert reply.status_code == 302, reply.content.decode()[:2000]
    assert not await database_sync_to_async(TvLink.objects.filter(pk=link.pk).exists)()
    assert await _closes(comm)


async def test_moving_a_tv_links_expiry_into_the_past_in_the_admin_ends_its_socket(
    accounts: list[ProviderAccount], admin: Client
) -> None:
    link = await database_sync_to_async(_board_with_link)(accounts)
    comm = await _open(f"/ws/tv/{link.token}/")
    past = timezone.localtime() - timedelta(minutes=5)
    await database_sync_to_async(submit_admin_form)(
        admin,
        f"/admin/dashboards/tvlink/{link.pk}/change/",
        {"expires_at_0": past.strftime("%Y-%m-%d"), "expires_at_1": past.strftime("%H:%M:%S")},
    )
    assert await _closes(comm)


async def test_a_tv_link_running_out_while_open_ends_its_socket(
    accounts: list[ProviderAccount],
) -> None:
    link = await database_sync_to_async(_board_with_link)(
        accounts, expires_at=timezone.now() + timedelta(seconds=2)
    )
    comm = await _open(f"/ws/tv/{link.token}/")
    assert await _closes(comm)


async def test_an_account_removed_from_a_board_in_the_admin_stops_reaching_its_tvs(
    accounts: list[ProviderAccount], admin: Client
) -> None:
    north = accounts[0]
    link = await database_sync_to_async(_board_with_link)(accounts)
    comm = await _open(f"/ws/tv/{link.token}/")
    await database_sync_to_async(submit_admin_form)(
        admin, f"/admin/dashboards/board/{link.board_id}/change/", {"accounts": [north.pk]}
    )
    assert await _closes(comm)
    again = await _ws(f"/ws/tv/{link.token}/").connect()
    assert again[0]


# -- people (finding 5) ----------------------------------------------------------------------


async def test_a_password_reset_in_the_admin_ends_the_persons_sockets(
    accounts: list[ProviderAccount], admin: Client
) -> None:
    user = await database_sync_to_async(make_user)("sup", "supervisor", accounts=tuple(accounts))
    comm = await _open("/ws/board/", await database_sync_to_async(_session)(user))
    await database_sync_to_async(submit_admin_form)(
        admin,
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "A-new-long-passphrase-1", "password2": "A-new-long-passphrase-1"},
    )
    assert await _closes(comm)


async def test_removing_superuser_in_the_admin_ends_the_persons_sockets(
    accounts: list[ProviderAccount], admin: Client
) -> None:
    boss = await database_sync_to_async(get_user_model().objects.create_superuser)(
        "boss", password="pw"
    )
    comm = await _open("/ws/board/", await database_sync_to_async(_session)(boss))
    await database_sync_to_async(submit_admin_form)(
        admin, f"/admin/auth/user/{boss.pk}/change/", {"is_superuser": None}
    )
    assert await _closes(comm)


async def test_repointing_an_agent_link_in_the_admin_ends_the_agents_panel(
    accounts: list[ProviderAccount], admin: Client
) -> None:
    def agent_user() -> tuple[Any, Agent]:
        first, second = Agent.objects.filter(account=accounts[0]).order_by("pk")[:2]
        return make_user("me", "agent", agent=first), second

    user, other = await database_sync_to_async(agent_user)()
    comm = await _open("/ws/me/", await database_sync_to_async(_session)(user))
    await database_sync_to_async(submit_admin_form)(
        admin, f"/admin/auth/user/{user.pk}/change/", {"agent_links-0-agent": other.pk}
    )
    assert await database_sync_to_async(AgentLink.objects.get)(user=user, agent=other)
    assert await _closes(comm)


async def test_saving_a_person_without_narrowing_anything_keeps_their_sockets(
    accounts: list[ProviderAccount], admin: Client
) -> None:
    user = await database_sync_to_async(make_user)("sup", "supervisor", accounts=tuple(accounts))
    comm = await _open("/ws/board/", await database_sync_to_async(_session)(user))
    await database_sync_to_async(submit_admin_form)(
        admin, f"/admin/auth/user/{user.pk}/change/", {"first_name": "Ivana"}
    )
    assert await comm.receive_nothing(timeout=1)
    await comm.disconnect()


# -- Origin (finding 7) ------------------------------------------------------------------------


async def _origin_accepted(session: str, **where: str) -> bool:
    comm = _ws("/ws/board/", session, **where)
    connected, _ = await comm.connect()
    if connected:
        await comm.disconnect()
    return bool(connected)


async def test_a_page_on_another_port_or_scheme_of_the_same_host_cannot_open_a_socket(
    accounts: list[ProviderAccount],
) -> None:
    user = await database_sync_to_async(make_user)("sup", "supervisor", accounts=tuple(accounts))
    session = await database_sync_to_async(_session)(user)
    site = {"host": "127.0.0.1:8765"}
    assert await _origin_accepted(session, origin="http://127.0.0.1:8765", **site)
    assert not await _origin_accepted(session, origin="http://127.0.0.1:9999", **site)
    assert not await _origin_accepted(session, origin="https://127.0.0.1:8765", **site)
    assert not await _origin_accepted(session, origin="http://127.0.0.1", **site)
    assert not await _origin_accepted(session, origin="null", **site)
    assert await _origin_accepted(session, origin="https://127.0.0.1:8765", scheme="wss", **site)
    # A host the site does not serve, even with a matching Origin.
    assert not await _origin_accepted(session, origin="http://evil.test", host="evil.test")


@override_settings(CSRF_TRUSTED_ORIGINS=["https://wallboard.example.com"])
async def test_a_trusted_origin_may_open_a_socket(accounts: list[ProviderAccount]) -> None:
    user = await database_sync_to_async(make_user)("sup", "supervisor", accounts=tuple(accounts))
    session = await database_sync_to_async(_session)(user)
    assert await _origin_accepted(session, origin="https://wallboard.example.com")
    assert not await _origin_accepted(session, origin="https://other.example.com")


# -- how many sockets (finding 10) -------------------------------------------------------------


@override_settings(WS_MAX_SOCKETS_PER_SESSION=3)
async def test_a_session_past_its_socket_limit_is_refused_with_1008(
    accounts: list[ProviderAccount],
) -> None:
    user = await database_sync_to_async(make_user)("sup", "supervisor", accounts=tuple(accounts))
    session = await database_sync_to_async(_session)(user)
    held = [await _open("/ws/board/", session) for _ in range(3)]
    extra = _ws("/ws/board/", session)
    assert (await extra.connect())[0]
    assert await _closes(extra, CLOSE_POLICY_VIOLATION)
    # Closing one gives its place back.
    await held.pop().disconnect()
    held.append(await _open("/ws/board/", session))
    for comm in held:
        await comm.disconnect()


@override_settings(WS_MAX_SOCKETS_PER_TV_LINK=2)
async def test_a_tv_link_past_its_socket_limit_is_refused_with_1008(
    accounts: list[ProviderAccount],
) -> None:
    link = await database_sync_to_async(_board_with_link)(accounts)
    held = [await _open(f"/ws/tv/{link.token}/") for _ in range(2)]
    extra = _ws(f"/ws/tv/{link.token}/")
    assert (await extra.connect())[0]
    assert await _closes(extra, CLOSE_POLICY_VIOLATION)
    for comm in held:
        await comm.disconnect()
