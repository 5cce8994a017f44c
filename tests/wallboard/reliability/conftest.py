"""A polled account on a simulator, and what it has stored, for the reliability tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client

from providers.base import Provider
from providers.registry import provider_class
from tests.conftest import Sim, make_account, make_user
from wallboard.monitoring.hooks import ignore
from wallboard.monitoring.models import (
    ActiveCall,
    Agent,
    AgentStatusSpan,
    Membership,
    PauseReason,
    ProviderAccount,
    Queue,
    QueueSample,
    WaitingCall,
)
from wallboard.monitoring.poll import PollResult, poll_once

VENDORS = ("spikon", "voipsun", "daktela")
# Short enough that a hanging simulator costs little, long enough for a loaded machine.
TIMEOUT_S = 0.5


STATE_MODELS: tuple[tuple[type[Model], str], ...] = (
    (Queue, "account"),
    (Agent, "account"),
    (Membership, "agent__account"),
    (WaitingCall, "queue__account"),
    (ActiveCall, "account"),
    (PauseReason, "account"),
    (AgentStatusSpan, "agent__account"),
    (QueueSample, "queue__account"),
)


def stored(account: ProviderAccount) -> dict[str, list[dict[str, Any]]]:
    """Every row the account's state and history consist of, in a stable order."""
    return {
        model.__name__: list(
            model._default_manager.filter(**{lookup: account}).order_by("pk").values()
        )
        for model, lookup in STATE_MODELS
    }


@dataclasses.dataclass
class Watched:
    """An account polled from a simulator through an adapter with a short timeout."""

    sim: Sim
    account: ProviderAccount
    provider: Provider
    client: Client | None = None

    def poll(self) -> PollResult:
        return poll_once(self.account, on_commit=ignore, provider=self.provider)

    def fresh(self) -> ProviderAccount:
        return ProviderAccount.objects.get(pk=self.account.pk)

    def board(self) -> str:
        """The account's status block on the board, as a supervisor sees it."""
        if self.client is None:
            self.client = Client()
            supervisor = make_user(f"sup{self.account.pk}", "supervisor", accounts=(self.account,))
            self.client.force_login(supervisor)
        html = self.client.get("/board/").content.decode()
        start = html.index(f'id="status-{self.account.pk}"')
        return html[start : html.index("</div>", start)]


@pytest.fixture
def watch(start_sim: Callable[..., Sim]) -> Iterator[Callable[..., Watched]]:
    """``watch(vendor, **options)``: a simulator with some traffic, its account polled once."""
    providers: list[Provider] = []

    def start(vendor: str, **options: str) -> Watched:
        sim = start_sim(vendor, agents=8, queues=2, seed=5)
        sim.advance(90)
        account = make_account(sim, poll_interval_s=1)
        if options:
            account.options = {**account.options, **options}
            account.save()
        config = dataclasses.replace(account.config(), timeout_s=TIMEOUT_S)
        # The simulator's clock, so durations the vendor reports read back to the same times.
        provider = provider_class(vendor)(config, clock=sim.clock.now)
        providers.append(provider)
        watched = Watched(sim, account, provider)
        first = watched.poll()
        assert first.ok, first.error
        return watched

    yield start
    for provider in providers:
        provider.close()
