"""``manage.py simulate --provider … [--port] [--agents] [--queues] [--seed] [--load]``"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from providers.sim.engine import LOADS, SimConfig
from providers.simulators import SIMULATORS, start_simulator


class Command(BaseCommand):
    help = "Serve a simulated call center through a vendor's documented API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", required=True, choices=sorted(SIMULATORS))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--agents", type=int, default=20)
        parser.add_argument("--queues", type=int, default=3)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--load",
            choices=list(LOADS),
            default="normal",
            help="How hard the callers press (default normal; busy: a centre that is "
            "stretched, with waves of callers). The simulated day starts at its busy hour "
            "when the simulator starts, whatever the time.",
        )
        parser.add_argument(
            "--hostile-names",
            action="store_true",
            help="Agent and caller names full of HTML, for escaping checks.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = options["provider"]
        spec = SIMULATORS[vendor]
        config = self.config(options, datetime.now(UTC))
        port = spec.default_port if options["port"] is None else options["port"]
        server, engine = start_simulator(vendor, config, host=options["host"], port=port)
        flags = " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in spec.account_settings(engine).items()
        )
        self.stdout.write(
            f"{vendor} simulator on {server.url} ({config.agents} agents, "
            f"{config.queues} queues, seed {config.seed}, {options['load']} load)"
        )
        self.stdout.write(
            f"connect: manage.py add_account --provider {vendor} --name Sim "
            f"--base-url {server.url} {flags}"
        )
        self.stdout.flush()
        server.serve_forever()

    @staticmethod
    def config(options: dict[str, Any], now: datetime) -> SimConfig:
        """The engine's settings from the options; the load's busy hour begins ``now``."""
        return SimConfig(
            agents=options["agents"],
            queues=options["queues"],
            seed=options["seed"],
            names="hostile" if options["hostile_names"] else "normal",
            load=LOADS[options["load"]],
            busy_hour_at=now,
        )
