"""``manage.py demo``: the whole product on one machine with no services.

SQLite, the in-memory channel layer, the embedded poll scheduler and one simulator per
vendor, all in this process, served by uvicorn (as production is, ADR 012) through
``serve_in_process``, as ``manage.py serve`` is.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from providers.base import Capability
from providers.registry import PROVIDERS, split_settings
from providers.sim.engine import LOADS, SimConfig
from providers.sim.history import simulate_history
from providers.sim.server import SimulatorServer
from providers.simulators import SIMULATORS, start_simulator
from wallboard.accounts.models import AgentLink, Profile, Role
from wallboard.dashboards.models import AgentGrid, Board, TvLink, Widget
from wallboard.monitoring.adapters import build_provider
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.monitoring.seed import seed_history
from wallboard.wiring.pipeline import poll
from wallboard.wiring.serving import serve_in_process

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
        parser.add_argument(
            "--load",
            choices=sorted(LOADS),
            default="busy",
            help="how stretched the simulated centres are (busy: callers wait, tiles go "
            "amber and red, and recover)",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=7,
            help="days of history to seed from the simulation, so reports have data at once",
        )

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
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Wallboard demo on {url}"))
        self.stdout.write(f"TV link (no login): {url}tv/{self._tv_link().token}/")
        self.stdout.write(f"TV link of the floor board: {url}tv/{self._floor_link().token}/")
        users = ", ".join(name for name, _ in DEMO_USERS)
        self.stdout.write(f"Log in as {users} — password '{DEMO_PASSWORD}'")
        self.stdout.flush()
        try:
            # Nothing stands in front of the demo: a client's X-Forwarded-For must not pass
            # for its address (the sign-in lockout counts per address).
            serve_in_process(options["host"], options["port"], proxy_headers=False)
        finally:
            for server in servers:
                server.stop()

    def _tv_link(self) -> TvLink:
        return _wall("Demo wall", "Demo TV", sla_warn_pct=80, sla_alarm_pct=60)

    def _floor_link(self) -> TvLink:
        """A second wall, shaped for the floor manager: the queues, the callers waiting, the
        summary table and the day's leaderboard, no agent grid."""
        widgets = [Widget.QUEUES, Widget.CALLERS, Widget.SUMMARY, Widget.LEADERS]
        return _wall("Demo floor", "Floor TV", widgets=widgets, agent_grid=AgentGrid.HIDDEN)

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
        # The busy hour starts now, whatever the hour: a newcomer sees a centre at work
        # (ADR 030); the seeded week leads up to it.
        started = timezone.now()
        for index, vendor in enumerate(v for v in PROVIDERS if v in SIMULATORS):
            # A different seed per vendor, so the three call centers are not clones.
            config = SimConfig(
                agents=options["agents"],
                queues=options["queues"],
                seed=options["seed"] + index,
                load=LOADS[options["load"]],
                busy_hour_at=started,
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
            if options["history_days"] > 0:
                self._seed(account, config, started, options["history_days"])
        return servers

    def _seed(
        self, account: ProviderAccount, config: SimConfig, until: datetime, days: int
    ) -> None:
        spec = SIMULATORS[account.vendor]
        events = simulate_history(
            config,
            until - timedelta(days=days),
            until,
            agent_id=spec.agent_id,
            queue_id=spec.queue_id,
            agent_view=spec.agent_view,
            sample_every_s=max(1, settings.QUEUE_SAMPLE_MIN_SPACING_S),
        )
        seeded = seed_history(account, events)
        self.stdout.write(
            f"    {days} days of history: {seeded.spans} spans, {seeded.samples} samples"
        )


def _wall(name: str, label: str, **shape: Any) -> TvLink:
    """The demo's board of that name over every demo account, and its TV link."""
    board, _ = Board.objects.get_or_create(
        name=name,
        defaults={
            "waiting_warn": 2,
            "waiting_alarm": 4,
            "longest_wait_warn_s": 30,
            "longest_wait_alarm_s": 60,
            **shape,
        },
    )
    board.accounts.set(ProviderAccount.objects.filter(enabled=True))
    link = board.tv_links.filter(revoked_at=None).first()
    return link or TvLink.objects.create(board=board, label=label)
