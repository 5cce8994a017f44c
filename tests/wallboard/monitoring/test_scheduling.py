"""Claiming due accounts: one poll per account at a time, whoever asks and how often."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from tests.conftest import Sim, make_account
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import claim_due_accounts, poll_once
from wallboard.monitoring.tasks import dispatch_polls

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_concurrent_schedulers_claim_each_account_once(daktela_sim: Sim) -> None:
    accounts = [make_account(daktela_sim, name=f"a{i}") for i in range(5)]
    claims: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def scheduler() -> None:
        try:
            start.wait()
            won = claim_due_accounts()
            with lock:
                claims.extend(a.pk for a in won)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=scheduler) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claims) == sorted(a.pk for a in accounts)


def test_a_leased_account_is_not_claimed_until_the_lease_expires(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    now = timezone.now()
    assert [a.pk for a in claim_due_accounts(now)] == [account.pk]
    assert claim_due_accounts(now + timedelta(seconds=5)) == []
    # The worker holding the lease died: after POLL_LEASE_S someone else takes over.
    assert [a.pk for a in claim_due_accounts(now + timedelta(seconds=31))] == [account.pk]


def test_a_poll_releases_the_lease_and_schedules_the_next(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim, poll_interval_s=5)
    (claimed,) = claim_due_accounts()
    poll_once(claimed)
    account = ProviderAccount.objects.get(pk=account.pk)
    assert account.lease_until is None
    assert account.next_poll_at == account.last_success_at + timedelta(seconds=5)
    assert claim_due_accounts() == []


def test_disabled_accounts_are_not_polled(daktela_sim: Sim) -> None:
    make_account(daktela_sim, enabled=False)
    assert claim_due_accounts() == []


def test_beat_dispatch_queues_one_task_per_claimed_account(
    daktela_sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(daktela_sim, name="one")
    make_account(daktela_sim, name="two")
    sent: list[tuple[tuple[int, ...], dict[str, object]]] = []
    monkeypatch.setattr(
        "wallboard.monitoring.tasks.poll_account.apply_async",
        lambda args, **kw: sent.append((args, kw)),
    )
    assert dispatch_polls() == 2
    assert dispatch_polls() == 0  # still leased: nothing queued twice
    assert len(sent) == 2
    assert all(kw["expires"] == 30 for _, kw in sent)
