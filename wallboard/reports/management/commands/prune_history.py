"""``manage.py prune_history [--dry-run]``: delete history past retention, in batches."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from wallboard.reports.prune import prune_history


class Command(BaseCommand):
    help = "Delete agent status spans, queue samples and poll-log rows past retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )
        parser.add_argument(
            "--retention-days",
            type=int,
            default=None,
            help="Days to keep (default: the HISTORY_RETENTION_DAYS setting).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help=f"Rows per DELETE (default HISTORY_PRUNE_BATCH={settings.HISTORY_PRUNE_BATCH}).",
        )
        parser.add_argument(
            "--pause", type=float, default=0.0, help="Seconds to sleep between batches."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["retention_days"]
        if days is not None and days < 1:
            self.stderr.write("--retention-days must be at least 1")
            raise SystemExit(2)
        result = prune_history(
            retention_days=days,
            batch_size=options["batch_size"],
            dry_run=options["dry_run"],
            pause_s=options["pause"],
        )
        verb = "would delete" if result.dry_run else "deleted"
        counts = ", ".join(f"{n} {name}" for name, n in result.deleted.items())
        self.stdout.write(f"cutoff {result.cutoff:%Y-%m-%dT%H:%M:%SZ}: {verb} {counts}")
        if result.batch_ms:
            slowest = max(result.batch_ms)
            self.stdout.write(
                f"{len(result.batch_ms)} batches, slowest {slowest:.1f} ms, "
                f"total {sum(result.batch_ms):.0f} ms"
            )
