"""``manage.py runserver`` is Daphne's, so a developer's live pages get their WebSockets; no
other process loads Daphne (its Twisted reactor would cost each one time and memory)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from tests.browser.conftest import server_environment
from tests.conftest import Sim, make_account
from tools.processes import ROOT, Process, free_port
from tools.wsclient import WebSocketClient
from wallboard.dashboards.models import Board, TvLink

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _tv_token(sim: Sim) -> str:
    """A TV link to a board of one account on ``sim``."""
    board = Board.objects.create(name="Floor")
    board.accounts.set([make_account(sim, name="Runserver centre")])
    return TvLink.objects.create(board=board).token


async def test_runserver_serves_the_tvs_websocket(start_sim: Callable[..., Sim]) -> None:
    token = await database_sync_to_async(_tv_token)(start_sim("voipsun"))
    port = free_port()
    argv = [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}"]
    server = Process("runserver", [*argv, "--noreload"], server_environment()).start()
    try:
        await asyncio.to_thread(server.wait_for_port, port)
        client = await WebSocketClient.connect(
            "127.0.0.1", port, f"/ws/tv/{token}/", {"Origin": f"http://127.0.0.1:{port}"}
        )
        board = await asyncio.wait_for(client.recv(), 30)
        assert board is not None
        assert "Runserver centre" in board
    finally:
        server.stop(10)


def test_the_web_application_starts_without_twisted() -> None:
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, django; django.setup(); import wallboard.asgi;"
            " print(sorted(m for m in ('daphne', 'twisted') if m in sys.modules))",
        ],
        env=server_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert started.stdout.strip() == "[]"
