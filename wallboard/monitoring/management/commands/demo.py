"""``manage.py demo``: the whole product on one machine with no services.

SQLite, the in-memory channel layer, the embedded poll scheduler and one simulator per
vendor, all in this process, served by Daphne.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.registry import PROVIDERS
from providers.sim.engine import SimConfig
from providers.sim.server import SimulatorServer
from providers.simulators import SIMULATORS, start_simulator
from wallboard.live import push
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.scheduler import EmbeddedScheduler

DEMO_PASSWORD = "demo"  # noqa: S105 - printed at start; embedded mode only
DEMO_USERS = (("admin", True), ("supervisor", False), ("agent1", False))

log = logging.getLogger("wallboard.demo")


class Command(BaseCommand):
    help = "Run the embedded demo: simulators, poller and web server in one process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--agents", type=int, default=24)
        parser.add_argument("--queues", type=int, default=4)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.EMBEDDED or settings.REDIS_URL:
            raise CommandError(
                "demo is the embedded mode: unset DATABASE_URL and REDIS_URL "
                "(production runs daphne, celery worker and celery beat instead)"
            )
        call_command("migrate", interactive=False, verbosity=0)
        self._users()
        servers = self._simulators(options)
        scheduler = EmbeddedScheduler().start()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Wallboard demo on {url}"))
        users = ", ".join(name for name, _ in DEMO_USERS)
        self.stdout.write(f"Log in as {users} — password '{DEMO_PASSWORD}'")
        self.stdout.flush()
        try:
            self._serve(options["host"], options["port"])
        finally:
            scheduler.stop()
            for server in servers:
                server.stop()

    def _users(self) -> None:
        users = get_user_model()
        for name, is_admin in DEMO_USERS:
            user, _ = users.objects.get_or_create(username=name)
            user.is_staff = user.is_superuser = is_admin
            user.set_password(DEMO_PASSWORD)
            user.save()

    def _simulators(self, options: dict[str, Any]) -> list[SimulatorServer]:
        servers = []
        for vendor in PROVIDERS:
            if vendor not in SIMULATORS:
                continue
            config = SimConfig(
                agents=options["agents"], queues=options["queues"], seed=options["seed"]
            )
            server, engine = start_simulator(vendor, config, host="127.0.0.1")
            servers.append(server)
            account_settings = SIMULATORS[vendor].account_settings(engine)
            fields = {f.name: f for f in PROVIDERS[vendor].config_fields}
            name = f"{PROVIDERS[vendor].title} (simulated)"
            account, _ = ProviderAccount.objects.update_or_create(
                name=name,
                vendor=vendor,
                defaults={
                    "base_url": server.url,
                    "options": {k: v for k, v in account_settings.items() if not fields[k].secret},
                    "secrets": {k: v for k, v in account_settings.items() if fields[k].secret},
                    "enabled": True,
                },
            )
            self.stdout.write(f"  {name}: simulator on {server.url}, account {account.pk}")
        return servers

    def _serve(self, host: str, port: int) -> None:
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server
        from twisted.internet import reactor

        from wallboard.asgi import application

        # Pushes must run on the server's loop: the in-memory layer's queues live there.
        reactor.callWhenRunning(lambda: push.use_event_loop(asyncio.get_event_loop()))
        Server(
            application=application,
            endpoints=build_endpoint_description_strings(host=host, port=port),
            signal_handlers=True,
        ).run()
