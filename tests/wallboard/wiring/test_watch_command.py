"""``manage.py watch``: its healthcheck (``--check``) and the supervisor loop it runs,
which gives its leases up when it stops so another watcher takes over at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import Sim, make_account
from wallboard.monitoring import feeds
from wallboard.monitoring.models import ProviderAccount
from wallboard.wiring.pipeline import feed_supervisor, poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_heartbeat() -> Iterator[None]:
    feeds.cache.delete(feeds.HEARTBEAT_KEY)
    yield
    feeds.cache.delete(feeds.HEARTBEAT_KEY)


def test_the_healthcheck_fails_until_a_watcher_ticks() -> None:
    with pytest.raises(CommandError, match="no watcher has run"):
        call_command("watch", "--check")
    feed_supervisor().tick()
    call_command("watch", "--check", "--max-age", "30")
    with pytest.raises(CommandError, match="last ticked"):
        call_command("watch", "--check", "--max-age", "-1")


def test_the_loop_holds_the_feed_until_asked_to_stop_then_lets_it_go(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    assert poll(account).ok
    supervisor = feed_supervisor(tick_s=0.1)
    loop = threading.Thread(target=supervisor.run_forever)
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while ProviderAccount.objects.get(pk=account.pk).feed_owner != supervisor.owner:
            assert time.monotonic() < deadline, "the watcher never claimed the feed"
            time.sleep(0.05)
    finally:
        supervisor.stop_soon()
        loop.join(timeout=30)
    assert not loop.is_alive()
    account.refresh_from_db()
    assert (account.feed_owner, account.feed_lease_until, account.feed_live) == ("", None, False)
