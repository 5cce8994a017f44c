"""From a click to the wall (ADR 019): after a successful action the account is polled at
once, for every vendor, without waiting for its interval and with no scheduler running."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from providers.model import AgentStatus
from tests.conftest import Sim, make_account, make_user
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.monitoring.scheduler import claim_account
from wallboard.wiring import refresh
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def eventually(test: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if test():
            return True
        time.sleep(0.02)
    return False


def an_hour_away(sim: Sim) -> tuple[ProviderAccount, Client]:
    """An account polled once, whose next poll is an hour away, and a supervisor's client."""
    account = make_account(sim, poll_interval_s=3600)
    sim.advance(90)
    assert poll(account).ok
    ProviderAccount.objects.filter(pk=account.pk).update(
        next_poll_at=timezone.now() + timedelta(hours=1)
    )
    client = Client()
    client.force_login(make_user("boss", "admin", accounts=(account,)))
    return account, client


@pytest.mark.parametrize("vendor", ["voipsun", "daktela"])
def test_after_an_action_the_wall_is_refreshed_without_waiting_for_the_interval(
    vendor: str, start_sim: Any, settings: Any
) -> None:
    settings.REDIS_URL = None  # the one-process modes: the refresh runs on a thread here
    sim = start_sim(vendor)
    account, client = an_hour_away(sim)
    login = next(a.login for a in sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    agent = Agent.objects.get(account=account, login=login)

    data = {"agent": agent.pk}
    if vendor == "daktela":  # no feed runs here: the refresh's poll shows it
        data["reason"] = account.pause_reasons.get(title="Lunch").pk
    response = client.post(f"/actions/{account.pk}/pause/", data)
    assert response.status_code == 200, response.content

    assert eventually(lambda: Agent.objects.get(pk=agent.pk).status == "PAUSED")
    # The refresh polled under the poll's lease, and gave it back.
    assert eventually(lambda: ProviderAccount.objects.get(pk=account.pk).lease_until is None)


def test_a_failed_action_refreshes_nothing(start_sim: Any, settings: Any) -> None:
    settings.REDIS_URL = None
    account, client = an_hour_away(start_sim("voipsun"))
    seq = ProviderAccount.objects.get(pk=account.pk).seq
    response = client.post(f"/actions/{account.pk}/pause/", {"agent": 999_999})
    assert response.status_code == 400
    refresh._threads.submit(lambda: None).result()  # whatever was queued has run
    assert ProviderAccount.objects.get(pk=account.pk).seq == seq


def test_with_redis_a_worker_runs_the_refresh(
    start_sim: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REDIS_URL = "redis://unused"
    sent: list[tuple[str, tuple[int, ...]]] = []
    monkeypatch.setattr(
        refresh.current_app, "send_task", lambda name, args: sent.append((name, args))
    )
    account, client = an_hour_away(start_sim("voipsun"))
    agent = Agent.objects.filter(account=account, status="IDLE").first()
    assert agent is not None
    assert client.post(f"/actions/{account.pk}/pause/", {"agent": agent.pk}).status_code == 200
    assert sent == [("wallboard.refresh_account", (account.pk,))]


def test_a_refresh_waits_for_a_running_poll_then_polls_again(start_sim: Any) -> None:
    sim = start_sim("voipsun")
    account, _ = an_hour_away(sim)
    assert claim_account(account.pk) is not None  # a poll runs, maybe read before the action
    login = next(a.login for a in sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    agent_id = sim.engine.agent_id_by_login(login)
    assert agent_id is not None
    sim.engine.set_status(agent_id, AgentStatus.PAUSED)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(refresh.refresh, account.pk)
        assert not (waiting.done() and waiting.result())  # it cannot poll yet
        ProviderAccount.objects.filter(pk=account.pk).update(lease_until=None)  # poll ended
        assert waiting.result()
    assert Agent.objects.get(account=account, login=login).status == "PAUSED"
