"""``manage.py demo``: the whole product on one machine with no services.

SQLite, the in-memory channel layer, the embedded poll scheduler and one simulator per
vendor, all in this process, served by uvicorn (as production is, ADR 012).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.base import Capability
from providers.registry import PROVIDERS, split_settings
from providers.sim.engine import SimConfig
from providers.sim.server import SimulatorServer
from providers.simulators import SIMULATORS, start_simulator
from wallboard.accounts.models import AgentLink, Profile, Role
from wallboard.dashboards.models import Board, TvLink
from wallboard.live import push
from wallboard.live.consumers import MAX_CLIENT_MESSAGE_BYTES
from wallboard.monitoring.adapters import build_provider
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.pipeline import embedded_scheduler, poll

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
                "(production runs uvicorn, celery worker and celery beat instead)"
            )
        call_command("migrate", interactive=False, verbosity=0)
        # Polish and Czech need the compiled catalogs; pure Python, no GNU gettext needed.
        call_command("compile_catalogs", missing_only=True, verbosity=0)
        servers = self._simulators(options)
        self._users()
        scheduler = embedded_scheduler().start()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Wallboard demo on {url}"))
        self.stdout.write(f"TV link (no login): {url}tv/{self._tv_link().token}/")
        users = ", ".join(name for name, _ in DEMO_USERS)
        self.stdout.write(f"Log in as {users} — password '{DEMO_PASSWORD}'")
        self.stdout.flush()
        try:
            self._serve(options["host"], options["port"])
        finally:
            scheduler.stop()
            for server in servers:
                server.stop()

    def _tv_link(self) -> TvLink:
        board, _ = Board.objects.get_or_create(
            name="Demo wall",
            defaults={
                "waiting_warn": 2,
                "waiting_alarm": 4,
                "longest_wait_warn_s": 30,
                "longest_wait_alarm_s": 60,
                "sla_warn_pct": 80,
                "sla_alarm_pct": 60,
            },
        )
        board.accounts.set(ProviderAccount.objects.filter(enabled=True))
        link = board.tv_links.filter(revoked_at=None).first()
        return link or TvLink.objects.create(board=board, label="Demo TV")

    def _users(self) -> None:
        """admin (everything), supervisor (all demo accounts, extension 600), agent1 (an
        agent of an account whose vendor lets agents pause)."""
        users = get_user_model()
        roles = {"admin": Role.ADMIN, "supervisor": Role.SUPERVISOR, "agent1": Role.AGENT}
        accounts = list(ProviderAccount.objects.filter(enabled=True))
        for name, is_admin in DEMO_USERS:
            user, _ = users.objects.get_or_create(username=name)
            user.is_staff = user.is_superuser = is_admin
            user.set_password(DEMO_PASSWORD)
            user.save()
            profile, _ = Profile.objects.update_or_create(
                user=user,
                defaults={"role": roles[name], "extension": "600" if name == "supervisor" else ""},
            )
            if name == "supervisor":
                profile.accounts.set(accounts)
        agent1 = users.objects.get(username="agent1")
        # agent1 sits where pausing is richest: with the vendor's pause reasons if any has them.
        ranked = sorted(
            accounts, key=lambda a: not build_provider(a).supports(Capability.PAUSE_REASONS)
        )
        for account in ranked:
            if build_provider(account).supports(Capability.PAUSE):
                agent = Agent.objects.filter(account=account).order_by("name").first()
                if agent is not None:
                    AgentLink.objects.filter(user=agent1).delete()
                    AgentLink.objects.create(user=agent1, account=account, agent=agent)
                    self.stdout.write(f"  agent1 is {agent.name} on {account.name}")
                break

    def _simulators(self, options: dict[str, Any]) -> list[SimulatorServer]:
        servers = []
        for index, vendor in enumerate(v for v in PROVIDERS if v in SIMULATORS):
            # A different seed per vendor, so the three call centers are not clones.
            config = SimConfig(
                agents=options["agents"], queues=options["queues"], seed=options["seed"] + index
            )
            server, engine = start_simulator(vendor, config, host="127.0.0.1")
            servers.append(server)
            plain, secrets = split_settings(vendor, SIMULATORS[vendor].account_settings(engine))
            name = f"{PROVIDERS[vendor].title} (simulated)"
            account, _ = ProviderAccount.objects.update_or_create(
                name=name,
                vendor=vendor,
                defaults={
                    "base_url": server.url,
                    "options": plain,
                    "secrets": secrets,
                    "enabled": True,
                },
            )
            poll(account)
            self.stdout.write(f"  {name}: simulator on {server.url}, account {account.pk}")
        return servers

    def _serve(self, host: str, port: int) -> None:
        import uvicorn
        import uvloop

        from wallboard.asgi import application

        server = uvicorn.Server(
            uvicorn.Config(
                application,
                host=host,
                port=port,
                http="httptools",
                ws="wallboard.live.protocol:WebSocketProtocol",  # ADR 018
                ws_max_size=MAX_CLIENT_MESSAGE_BYTES,
                lifespan="off",
                timeout_graceful_shutdown=5,
                log_level="warning",
            )
        )

        async def serve() -> None:
            # Pushes must run on the server's loop: the in-memory layer's queues live there.
            push.use_event_loop(asyncio.get_running_loop())
            await server.serve()

        uvloop.run(serve())
