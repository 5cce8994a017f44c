"""``manage.py serve``: Wallboard on PostgreSQL without Redis, as one process.

uvicorn and the in-process poll scheduler, with the in-memory channel layer: what ``demo``
runs, without the simulators and the demo users. Rate limits and the scheduler's heartbeat
use the database cache (created by ``migrate``). Several processes would not see each
other's pushes: with more than one, run the Redis mode (uvicorn, Celery worker and beat).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from wallboard.wiring.serving import serve_in_process


class Command(BaseCommand):
    help = "Serve Wallboard and poll its accounts from this one process (no Redis)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.REDIS_URL:
            raise CommandError(
                "serve is the one-process mode without Redis; with REDIS_URL set run uvicorn, "
                "celery worker and celery beat (README, Running in production)"
            )
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(
                f"{len(pending)} database migrations are not applied: run manage.py migrate"
            )
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS(f"Wallboard on {url}")
            + " (one process: in-process poll scheduler, in-memory channel layer)"
        )
        self.stdout.flush()
        serve_in_process(options["host"], options["port"], log_level="info")
