"""``manage.py heartbeat [--max-age S]``: exit 0 while polls are dispatched, 1 when they
are not (the compose stack's beat healthcheck; ADR 024)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallboard.monitoring import heartbeat


class Command(BaseCommand):
    help = "Check that the poll scheduler (Celery beat's dispatch, or serve's) is alive."
    # Run every few seconds by a healthcheck: start fast.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age",
            type=float,
            default=30.0,
            help="Seconds since the last dispatch beyond which the scheduler counts as dead.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            stamped = heartbeat.last()
        except Exception as err:  # the cache's backend: Redis, or the database
            raise CommandError(f"cannot read the heartbeat: {type(err).__name__}: {err}") from err
        if stamped is None:
            raise CommandError("no heartbeat: polls have never been dispatched")
        age = time.time() - stamped
        if age > options["max_age"]:
            raise CommandError(f"polls were last dispatched {age:.0f} s ago")
        self.stdout.write(f"polls dispatched {age:.1f} s ago")
