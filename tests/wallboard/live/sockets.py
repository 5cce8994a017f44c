"""What the socket tests share: a signed-in supervisor watching one account."""

from __future__ import annotations

from django.test import Client

from tests.conftest import Sim, make_account, make_user


def cookie_and_account(sim: Sim) -> tuple[str, int]:
    """The session cookie of a supervisor of a new account on ``sim``, and the account."""
    account = make_account(sim)
    make_user("watcher", "supervisor", accounts=(account,))
    client = Client()
    assert client.login(username="watcher", password="pw")
    return client.cookies["sessionid"].value, account.pk
