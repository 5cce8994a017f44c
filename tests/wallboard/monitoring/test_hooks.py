"""The commit hook: what ``poll_once`` hands whatever follows a poll, and when."""

from __future__ import annotations

from unittest import mock

import pytest

from providers.model import AgentStatus
from tests.conftest import Sim, make_account
from wallboard.monitoring.hooks import Committed
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import poll_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_each_poll_hands_the_hook_what_it_committed(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    seen: list[Committed] = []

    first = poll_once(account, on_commit=seen.append)
    quiet = poll_once(account, on_commit=seen.append)
    agent = next(a for a in daktela_sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    daktela_sim.engine.set_status(agent.id, AgentStatus.PAUSED, pause_id="7")
    moved = poll_once(account, on_commit=seen.append)

    assert [e.seq for e in seen] == [first.seq, quiet.seq, moved.seq]
    assert all(e.ok and e.account_pk == account.pk and e.vendor == "daktela" for e in seen)
    assert seen[0].changed
    assert seen[0].changes is not None
    assert not seen[1].changed, "an unchanged call center only owes the screens a heartbeat"
    assert seen[2].changes is not None
    assert [a.vendor_id for a in seen[2].changes.agents] == [agent.id]


def test_a_failed_poll_says_why_and_that_the_status_changed(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim, base_url="http://127.0.0.1:9")  # nothing listens
    seen: list[Committed] = []
    poll_once(account, on_commit=seen.append)
    poll_once(ProviderAccount.objects.get(pk=account.pk), on_commit=seen.append)
    assert [e.ok for e in seen] == [False, False]
    assert seen[0].status_changed
    assert seen[0].error_kind == "NoReplyError"
    assert not seen[1].status_changed, "still failing the same way: nothing new to show"


def test_nothing_follows_a_poll_whose_transaction_rolled_back(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    seen: list[Committed] = []
    with (
        mock.patch("wallboard.monitoring.poll.write_delta", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        poll_once(account, on_commit=seen.append)
    assert seen == []
    assert ProviderAccount.objects.get(pk=account.pk).seq == 0
