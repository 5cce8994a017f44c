"""Claiming due accounts: one poll per account at a time, whoever asks and how often."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from providers.registry import provider_class
from tests.conftest import Sim, make_account
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import poll_once
from wallboard.monitoring.scheduler import claim_due_accounts

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
    poll_once(claimed, on_commit=ignore)
    account = ProviderAccount.objects.get(pk=account.pk)
    assert account.lease_until is None
    assert account.next_poll_at == claimed.next_poll_at + timedelta(seconds=5)
    assert claim_due_accounts() == []


def test_polls_keep_a_fixed_cadence_however_late_each_is_claimed(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim, poll_interval_s=2)
    first_due = daktela_sim.clock.now()
    ProviderAccount.objects.filter(pk=account.pk).update(next_poll_at=first_due)
    provider = provider_class("daktela")(account.config(), clock=daktela_sim.clock.now)  # type: ignore[call-arg]
    due = first_due
    for late_s in (0.3, 0.05, 0.2, 0.0, 0.25, 1.9):
        daktela_sim.advance((due - daktela_sim.clock.now()).total_seconds() + late_s)
        (claimed,) = claim_due_accounts(daktela_sim.clock.now())
        assert poll_once(claimed, on_commit=ignore, provider=provider).ok
        due += timedelta(seconds=2)
        assert ProviderAccount.objects.get(pk=account.pk).next_poll_at == due
    assert due == first_due + timedelta(seconds=12)  # no lateness carried over


def test_a_poll_later_than_its_interval_schedules_the_next_now_not_in_the_past(
    daktela_sim: Sim,
) -> None:
    account = make_account(daktela_sim, poll_interval_s=2)
    due = daktela_sim.clock.now()
    ProviderAccount.objects.filter(pk=account.pk).update(next_poll_at=due)
    provider = provider_class("daktela")(account.config(), clock=daktela_sim.clock.now)  # type: ignore[call-arg]
    daktela_sim.advance(5)
    (claimed,) = claim_due_accounts(daktela_sim.clock.now())
    assert poll_once(claimed, on_commit=ignore, provider=provider).ok
    assert ProviderAccount.objects.get(pk=account.pk).next_poll_at == daktela_sim.clock.now()


def test_polls_before_they_are_due_do_not_push_the_schedule_away(daktela_sim: Sim) -> None:
    """``poll --once`` or a poll asked for after an action, many times in a row."""
    account = make_account(daktela_sim, poll_interval_s=2)
    provider = provider_class("daktela")(account.config(), clock=daktela_sim.clock.now)  # type: ignore[call-arg]
    ProviderAccount.objects.filter(pk=account.pk).update(
        next_poll_at=daktela_sim.clock.now() + timedelta(seconds=1)
    )
    for _ in range(5):
        assert poll_once(account, on_commit=ignore, provider=provider).ok
    next_poll_at = ProviderAccount.objects.get(pk=account.pk).next_poll_at
    assert next_poll_at == daktela_sim.clock.now() + timedelta(seconds=2)


def test_disabled_accounts_are_not_polled(daktela_sim: Sim) -> None:
    make_account(daktela_sim, enabled=False)
    assert claim_due_accounts() == []


def test_one_statement_claims_every_due_account_earliest_first(daktela_sim: Sim) -> None:
    now = timezone.now()
    later, sooner, leased, not_due = (make_account(daktela_sim, name=f"a{i}") for i in range(4))
    ProviderAccount.objects.filter(pk=later.pk).update(next_poll_at=now - timedelta(seconds=1))
    ProviderAccount.objects.filter(pk=sooner.pk).update(next_poll_at=now - timedelta(seconds=3))
    ProviderAccount.objects.filter(pk=leased.pk).update(lease_until=now + timedelta(seconds=5))
    ProviderAccount.objects.filter(pk=not_due.pk).update(next_poll_at=now + timedelta(seconds=9))
    with CaptureQueriesContext(connection) as queries:
        claimed = claim_due_accounts(now, ahead=timedelta(seconds=1))
    assert len(queries) == 1
    assert [a.pk for a in claimed] == [sooner.pk, later.pk]
    # The claimed rows come back whole, decrypted secrets included: ready to be polled.
    assert claimed[0].config() == sooner.config()
    assert claimed[0].lease_until == now + timedelta(seconds=30)
    assert ProviderAccount.objects.get(pk=later.pk).lease_until == now + timedelta(seconds=30)
