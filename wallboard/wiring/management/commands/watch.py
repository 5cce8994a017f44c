"""``manage.py watch``: run the vendor change feeds (ADR 019) until SIGTERM or Ctrl-C.

Run one or several (each claims accounts' feeds with leases, so they never double up and a
dead one's accounts are taken over). ``--check [--max-age S]`` exits 1 when no watcher has
ticked for that long (the compose stack's healthcheck).
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallboard.monitoring.feeds import last_tick
from wallboard.wiring.pipeline import feed_supervisor


class Command(BaseCommand):
    help = "Run the vendor change feeds (Daktela's RTUserState long-poll) beside the polls."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only check that a watcher is alive (exit 1 if none ticked within --max-age).",
        )
        parser.add_argument("--max-age", type=float, default=30.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self._check(options["max_age"])
            return
        supervisor = feed_supervisor()

        def stop(signum: int, frame: FrameType | None) -> None:
            supervisor.stop_soon()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"watching as {supervisor.owner}")
        supervisor.run_forever()
        self.stdout.write("stopped; feed leases released")

    def _check(self, max_age: float) -> None:
        try:
            ticked = last_tick()
        except Exception as err:  # the cache's backend: Redis, or the database
            raise CommandError(f"cannot read the watcher heartbeat: {err}") from err
        if ticked is None:
            raise CommandError("no watcher has run")
        age = time.time() - ticked
        if age > max_age:
            raise CommandError(f"the feeds' watcher last ticked {age:.0f} s ago")
        self.stdout.write(f"watcher ticked {age:.1f} s ago")
