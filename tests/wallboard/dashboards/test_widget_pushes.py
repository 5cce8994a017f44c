"""The board widgets follow a stored change (ADR 027): a caller who starts waiting is pushed in
the caller list and the summary row of their queue, to the account's screens and, narrowed,
to a board of other queues; the leaderboard is pushed when it changed, not on every poll; a
widget no open screen shows is not rendered (ADR 031). Over the real Redis channel layer,
from real polls of a simulator."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from tests.conftest import Sim, forget_cached, make_account
from tests.wallboard.dashboards.test_fragments import OOB, Watcher, quiet_sim
from wallboard.dashboards.models import Board
from wallboard.monitoring.models import ProviderAccount, Queue
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
__all__ = ["quiet_sim"]  # the fixture


WALL = ["callers", "summary", "leaders"]


def _boards(sim: Sim) -> tuple[ProviderAccount, Queue, Queue]:
    account = make_account(sim)
    poll(account)
    first, other = Queue.objects.filter(account=account).order_by("pk")[:2]
    wall = Board.objects.create(name="Wall", widgets=WALL)
    wall.accounts.set([account])
    elsewhere = Board.objects.create(name="Elsewhere", widgets=["callers"])
    elsewhere.accounts.set([account])
    elsewhere.queues.set([other])
    forget_cached()
    return account, first, other


async def test_a_waiting_caller_is_pushed_in_the_list_and_the_summary_row(
    quiet_sim: Sim,
) -> None:
    account, queue, other = await database_sync_to_async(_boards)(quiet_sim)
    async with (
        Watcher(account, widgets=WALL) as everything,
        Watcher(account, frozenset({other.pk}), widgets=["callers"]) as some,
    ):
        quiet_sim.engine.add_waiting_call(queue.vendor_id, "+420601000111", "Jana Nováková")
        await database_sync_to_async(poll)(account)
        update = await everything.receive()
        part = await some.receive()

    found = OOB.findall(update)
    assert ("section", f"callers-{account.pk}") in found
    assert ("table", f"summary-{account.pk}") in found
    table = update[update.index(f'<table id="summary-{account.pk}"') :]
    assert f'<tr id="summary-q{queue.pk}"><th scope="row">{queue.name}</th><td>1</td>' in table
    listed = update[update.index(f'<section id="callers-{account.pk}"') :]
    assert '<span class="caller">+420601000111</span><time data-since=' in listed
    assert '<b class="count">1</b>' in listed
    assert ("section", f"callers-{account.pk}") in OOB.findall(part), "its list changed too"
    assert "+420601000111" not in part, "a caller of a queue that board does not show"
    assert f"summary-{account.pk}" not in part, "none of its queues changed"


async def test_the_leaderboard_is_pushed_when_it_changed_not_on_every_poll(
    quiet_sim: Sim,
) -> None:
    account, queue, _other = await database_sync_to_async(_boards)(quiet_sim)
    async with Watcher(account, widgets=WALL) as watcher:
        quiet_sim.engine.add_waiting_call(queue.vendor_id, "+420601000111")
        await database_sync_to_async(poll)(account)
        first = await watcher.receive()
        quiet_sim.engine.add_waiting_call(queue.vendor_id, "+420601000222")
        await database_sync_to_async(poll)(account)
        second = await watcher.receive()

    assert ("section", f"leaders-{account.pk}") in OOB.findall(first), "never sent before"
    assert f"leaders-{account.pk}" not in second, "unchanged within the minute"
    assert ("section", f"callers-{account.pk}") in OOB.findall(second)


async def test_a_widget_no_open_screen_shows_is_not_rendered(quiet_sim: Sim) -> None:
    """Both boards are stored, but the only open screen shows the caller list: the summary
    and the leaderboard are neither read nor rendered."""
    account, queue, _other = await database_sync_to_async(_boards)(quiet_sim)
    async with Watcher(account, widgets=["callers"]) as watcher:
        quiet_sim.engine.add_waiting_call(queue.vendor_id, "+420601000111")
        await database_sync_to_async(poll)(account)
        update = await watcher.receive()

    assert ("section", f"callers-{account.pk}") in OOB.findall(update)
    assert f"summary-{account.pk}" not in update
    assert f"leaders-{account.pk}" not in update
