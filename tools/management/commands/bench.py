"""``manage.py bench [--json] [--quick]``: the DESIGN §10 benchmarks on this machine.

Runs the simulators and the real stack (PostgreSQL, Redis pub/sub layer, a uvicorn process,
headless Chromium) in a database of its own (``wallboard_bench``, created and dropped) and
under its own channel prefix, so dev data and dev boards are never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tools import require
from tools.bench import runner
from tools.bench.profiles import FULL, PROFILES, QUICK
from tools.bench.report import table
from tools.database import BENCH_DATABASE, bench_database

BENCH_SETTINGS = "tools.bench_settings"


class Command(BaseCommand):
    help = "Measure the DESIGN §10 targets (pipeline, fan-out, freshness, bytes, history)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--quick", action="store_true", help="a reduced run (< 2 min)")
        parser.add_argument(
            "--accounts",
            action="store_true",
            help="only accounts at scale: 10-200 accounts on real Celery processes (< 4 min)",
        )
        parser.add_argument(
            "--profile", choices=sorted(PROFILES), help="run size (overrides --quick)"
        )
        parser.add_argument(
            "--server",
            choices=["uvicorn", "daphne"],
            default="uvicorn",
            help="the web server to measure (production: uvicorn; daphne to compare, ADR 012)",
        )
        parser.add_argument(
            "--only",
            help=f"comma-separated parts to run alone: {', '.join(runner.PARTS)}",
        )
        parser.add_argument(
            "--database",
            default=BENCH_DATABASE,
            help="name of the throw-away database (created and dropped)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        require("bench", "playwright", "psutil")
        if settings.SETTINGS_MODULE != BENCH_SETTINGS:
            self._rerun_with_bench_settings(options)
            return
        profile = PROFILES[options["profile"]] if options["profile"] else (
            QUICK if options["quick"] else FULL
        )  # fmt: skip

        def say(line: str) -> None:
            self.stderr.write(line)
            self.stderr.flush()

        only = None
        if options["only"]:
            only = frozenset(part.strip() for part in options["only"].split(","))
            if unknown := only - set(runner.PARTS):
                raise CommandError(f"--only: unknown {', '.join(sorted(unknown))}")
        with bench_database(options["database"]):
            if options["accounts"]:
                report = runner.run_accounts(profile, say)
            else:
                report = runner.run(profile, say, server=options["server"], only=only)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str, ensure_ascii=False))
        else:
            self.stdout.write(table(report))

    def _rerun_with_bench_settings(self, options: dict[str, Any]) -> None:
        """The channel-layer prefix and static-file settings are fixed at start-up: run
        again in a process with the benchmark settings."""
        argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "bench",
                "--database", options["database"], "--server", options["server"]]  # fmt: skip
        argv += ["--json"] if options["json"] else []
        argv += ["--quick"] if options["quick"] else []
        argv += ["--accounts"] if options["accounts"] else []
        argv += ["--profile", options["profile"]] if options["profile"] else []
        argv += ["--only", options["only"]] if options["only"] else []
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS}
        code = subprocess.call(argv, env=env)  # noqa: S603 - our own interpreter and command
        if code:
            raise SystemExit(code)
