"""``manage.py soak [--minutes 30] [--agents 500] [--clients 200] [--json]``: the production
shape (simulators, web server, Celery worker and beat, wall TVs) left running, with each
process's memory and open files, the database and Redis connections and the Redis keys
sampled; exits 1 when something grows. Not part of the test suite.

It runs in a throw-away PostgreSQL database (``wallboard_soak``), a Redis database number of
its own (``--redis-db``, which must be empty and is emptied at the end) and a channel prefix
of its own, so dev data, dev boards and other runs are never touched.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tools import require, soak

RUN_ID = "WALLBOARD_SOAK_RUN"
PASSED_ON = ("minutes", "agents", "clients", "sample_s", "concurrency", "database", "redis_db")


class Command(BaseCommand):
    help = "Run the whole stack for a while and check that nothing grows (memory, files, keys)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=float, default=30)
        parser.add_argument("--agents", type=int, default=500)
        parser.add_argument("--clients", type=int, default=200, help="WebSocket TV clients")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--sample-s", type=float, default=10, help="seconds between samples")
        parser.add_argument(
            "--concurrency", type=int, default=soak.WORKER_CONCURRENCY, help="Celery worker pool"
        )
        parser.add_argument(
            "--database",
            default=soak.SOAK_DATABASE,
            help="name of the throw-away database (created and dropped)",
        )
        parser.add_argument(
            "--redis-db",
            type=int,
            default=soak.SOAK_REDIS_DB,
            help="a Redis database number nothing else uses (emptied at the end)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        require("soak", "psutil")
        if options["minutes"] <= 0 or options["agents"] < 1 or options["clients"] < 1:
            raise CommandError("--minutes, --agents and --clients must be positive")
        if os.environ.get(RUN_ID) is None:
            self._rerun_with_soak_environment(options)
            return
        config = soak.SoakConfig(
            minutes=options["minutes"],
            agents=options["agents"],
            clients=options["clients"],
            sample_s=options["sample_s"],
            concurrency=options["concurrency"],
        )

        def say(line: str) -> None:
            self.stderr.write(line)
            self.stderr.flush()

        try:
            with soak.interruptible():
                report = soak.run(
                    config,
                    options["database"],
                    options["redis_db"],
                    os.environ["CHANNEL_PREFIX"],
                    say,
                )
        except KeyboardInterrupt:
            say("interrupted: every process stopped, the database dropped, the keys deleted")
            raise SystemExit(130) from None
        except RuntimeError as err:
            raise CommandError(str(err)) from err
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str, ensure_ascii=False))
        else:
            self.stdout.write(soak.table(report))
        if not report["passed"]:
            failed = [c["what"] for c in report["checks"] if not c["met"]]
            raise CommandError(f"soak failed: {', '.join(failed)}")

    def _rerun_with_soak_environment(self, options: dict[str, Any]) -> None:
        """The database, Redis database, channel prefix and keys are fixed at start-up and
        shared by every process of the run: run again with them in the environment."""
        argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "soak"]
        for name in PASSED_ON:
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
        argv += ["--json"] if options["json"] else []
        env = soak.environment(dict(os.environ), options["redis_db"], secrets.token_hex(4))
        env[RUN_ID] = env["CHANNEL_PREFIX"]
        proc = subprocess.Popen(argv, env=env)  # noqa: S603 - our interpreter and command

        def forward(signum: int, frame: object) -> None:
            proc.send_signal(signum)

        previous = {sig: signal.signal(sig, forward) for sig in soak.STOP_SIGNALS}
        try:
            code = proc.wait()
        finally:
            for sig, action in previous.items():
                signal.signal(sig, action)
        if code:
            raise SystemExit(code)
