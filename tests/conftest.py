"""Fixtures shared by the Django-side tests: simulators over real HTTP, accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db.backends.postgresql.operations import (
    DatabaseOperations as PostgresOperations,
)

from providers.registry import split_settings
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from providers.simulators import SIMULATORS, start_simulator
from wallboard.monitoring.models import ProviderAccount


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(settings, "SERVICES_AVAILABLE", False):
        return
    skip = pytest.mark.skip(reason="PostgreSQL/Redis not reachable on 127.0.0.1 (CI=true fails)")
    for item in items:
        if "services" in item.keywords or "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def flush_by_delete() -> Iterator[None]:
    """A transactional test ends by emptying every table. PostgreSQL's TRUNCATE of the 41
    tables gives each table and index a new file: 350-450 ms here, where a DELETE from each
    of these few-row tables takes 7 ms. The same rows go, in one transaction (the foreign
    keys are deferred to its commit); the sequences run on, as after a TRUNCATE without
    RESTART IDENTITY."""
    truncate = PostgresOperations.sql_flush

    def sql_flush(
        ops: PostgresOperations,
        style: Any,
        tables: Sequence[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or allow_cascade:
            return truncate(
                ops, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # The table names are the schema's own, quoted.
        return [f"DELETE FROM {ops.quote_name(table)};" for table in tables]  # noqa: S608

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresOperations, "sql_flush", sql_flush)
        yield


@dataclass
class Sim:
    vendor: str
    server: SimulatorServer
    engine: CallCenter
    clock: ManualClock

    def account_settings(self) -> dict[str, str]:
        return SIMULATORS[self.vendor].account_settings(self.engine)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


@pytest.fixture
def start_sim() -> Iterator[Callable[..., Sim]]:
    """Start a vendor's simulator on a free port, with a manual clock; stopped afterwards."""
    servers: list[SimulatorServer] = []

    def start(vendor: str, **config: Any) -> Sim:
        clock = ManualClock(datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
        options: dict[str, Any] = {"agents": 12, "queues": 3, "seed": 3, **config}
        server, engine = start_simulator(vendor, SimConfig(**options), clock=clock)
        servers.append(server)
        return Sim(vendor, server, engine, clock)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def daktela_sim(start_sim: Callable[..., Sim]) -> Sim:
    return start_sim("daktela")


def make_account(sim: Sim, **overrides: object) -> ProviderAccount:
    options, secrets = split_settings(sim.vendor, sim.account_settings())
    return ProviderAccount.objects.create(
        **{
            "name": f"{sim.vendor} sim",
            "vendor": sim.vendor,
            "base_url": sim.server.url,
            "options": options,
            "secrets": secrets,
            "time_zone": sim.engine.config.time_zone,
            **overrides,
        }
    )


def make_user(
    username: str,
    role: str,
    *,
    accounts: tuple[ProviderAccount, ...] = (),
    queues: tuple[object, ...] = (),
    agent: object | None = None,
    extension: str = "",
    password: str = "pw",  # noqa: S107 - test users only
) -> Any:
    """A user with a role (and scope, agent link, own extension)."""
    from django.contrib.auth import get_user_model

    from wallboard.accounts.models import AgentLink, Profile

    user = get_user_model().objects.create_user(username, password=password)
    profile = Profile.objects.create(user=user, role=role, extension=extension)
    profile.accounts.set(accounts)
    profile.queues.set(queues)
    if agent is not None:
        AgentLink.objects.create(user=user, account=agent.account, agent=agent)  # type: ignore[attr-defined]
    return user


def forget_cached(pattern: str = "*") -> None:
    """Forget this run's cached keys matching ``pattern`` (all by default). Not
    ``cache.clear()``: on Redis that empties the whole database, and with it the rate
    limits, screens and slots of every other test worker."""
    if not settings.REDIS_URL:
        cache.clear()
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for key in client.scan_iter(cache.make_key(pattern)):
            client.delete(key)
    finally:
        client.close()
