"""The system tests: real web, Celery worker and beat processes on one throw-away database
(pytest-django's test database, reached through a fault proxy) and a private Redis.

They are marked ``system`` and run as their own CI step: ``pytest -m system``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from providers.registry import split_settings
from providers.sim.engine import Clock, SimConfig
from providers.simulators import SIMULATORS
from tests.system.pgproxy import PostgresFaultProxy
from tests.system.processes import ROOT, Cluster, RedisServer
from tests.system.recorder import RecordingSimulator
from tests.system.watcher import BoardWatcher
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import ProviderAccount

# Short enough that a killed poll is taken over within a test, long enough for a slow poll.
LEASE_S = 5


@dataclass
class System:
    cluster: Cluster
    redis: RedisServer
    postgres: PostgresFaultProxy
    simulators: list[RecordingSimulator] = field(default_factory=list)
    watchers: list[BoardWatcher] = field(default_factory=list)

    def simulator(
        self, delay_s: float = 0.0, clock: Clock | None = None, **config: object
    ) -> RecordingSimulator:
        options: dict[str, object] = {"agents": 8, "queues": 2, "seed": 5, **config}
        sim = RecordingSimulator(SimConfig(**options), delay_s, clock).start()  # type: ignore[arg-type]
        self.simulators.append(sim)
        return sim

    def watch(self, port: int, link: TvLink) -> BoardWatcher:
        watcher = BoardWatcher(port, link.token).start()
        self.watchers.append(watcher)
        return watcher


def make_accounts(
    sim: RecordingSimulator, count: int, interval_s: int = 1
) -> list[ProviderAccount]:
    """``count`` SPIKON accounts on one simulator, told apart by their URL prefix."""
    options, secrets = split_settings("spikon", SIMULATORS["spikon"].account_settings(sim.engine))
    return [
        ProviderAccount.objects.create(
            name=f"a{n}",
            vendor="spikon",
            base_url=sim.base_url(f"a{n}"),
            options=options,
            secrets=secrets,
            time_zone=sim.engine.config.time_zone,
            poll_interval_s=interval_s,
        )
        for n in range(count)
    ]


def tv_link(*accounts: ProviderAccount) -> TvLink:
    board = Board.objects.create(name="wall")
    board.accounts.set(accounts)
    return TvLink.objects.create(board=board)


@pytest.fixture
def system(
    transactional_db: None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[System]:
    db = connection.settings_dict
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    redis = RedisServer(tmp_path, base_env)
    redis.start()
    postgres = PostgresFaultProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
    env = {
        **base_env,
        # Production settings, not the tests' (whose broker is in memory).
        "DJANGO_SETTINGS_MODULE": "wallboard.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@127.0.0.1:{postgres.port}/{db['NAME']}?sslmode=disable"
        ),
        "REDIS_URL": redis.url,
        "POLL_LEASE_S": str(LEASE_S),
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    system = System(Cluster(env, tmp_path), redis, postgres)
    try:
        yield system
    finally:
        for watcher in system.watchers:
            watcher.stop()
        system.cluster.kill_all()
        redis.process.kill()
        postgres.stop()
        for sim in system.simulators:
            sim.stop()
        # Shown by pytest when the test failed.
        for name, text in system.cluster.logs():
            request.node.add_report_section("teardown", name, text[-8000:])
        for watcher in system.watchers:
            received = "\n".join(f"{when:.1f} {text[:200]}" for when, text in watcher.received)
            request.node.add_report_section("teardown", f"socket on {watcher.port}", received)
