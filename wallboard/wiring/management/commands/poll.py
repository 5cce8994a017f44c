"""``manage.py poll --account ID [--once]``: poll one account in the foreground."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import PollResult
from wallboard.wiring.pipeline import poll


class Command(BaseCommand):
    help = "Poll one provider account now (once, or every interval until Ctrl-C)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, required=True)
        parser.add_argument("--once", action="store_true")

    def _report(self, result: PollResult) -> None:
        line = f"seq {result.seq}: {result.changes} changes in {result.duration_ms:.0f} ms"
        if result.ok:
            self.stdout.write(line + (f" (partly stale: {result.error})" if result.error else ""))
        else:
            self.stderr.write(f"poll failed: {result.error}")

    def handle(self, *args: Any, **options: Any) -> None:
        account = ProviderAccount.objects.filter(pk=options["account"]).first()
        if account is None:
            raise CommandError(f"No account with id {options['account']}")
        while True:
            result = poll(account)
            self._report(result)
            if options["once"]:
                if not result.ok:
                    raise CommandError(result.error or "poll failed")
                return
            account.refresh_from_db()
            time.sleep(max(0.0, (account.next_poll_at - timezone.now()).total_seconds()))
