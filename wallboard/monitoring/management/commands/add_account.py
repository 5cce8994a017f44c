"""``manage.py add_account --provider … --name … --base-url … [credentials…] [--interval S]``"""

from __future__ import annotations

import argparse
import zoneinfo
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.registry import PROVIDERS, all_config_fields
from wallboard.monitoring.models import ProviderAccount


class Command(BaseCommand):
    help = "Connect a provider account (or a simulator) and print its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", required=True, choices=sorted(PROVIDERS))
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--base-url", required=True, help="What precedes /api/ in the vendor's URLs."
        )
        parser.add_argument("--interval", type=int, default=2, help="Poll interval in seconds.")
        parser.add_argument("--time-zone", default="Europe/Prague")
        for f in all_config_fields().values():
            parser.add_argument(
                "--" + f.name.replace("_", "-"),
                dest=f"field_{f.name}",
                help=f.help + (" (secret, stored encrypted)" if f.secret else ""),
                default=argparse.SUPPRESS,
            )

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = options["provider"]
        provider = PROVIDERS[vendor]
        own = {f.name: f for f in provider.config_fields}
        foreign = [key[6:] for key in options if key.startswith("field_") and key[6:] not in own]
        if foreign:
            flags = ", ".join("--" + name.replace("_", "-") for name in foreign)
            raise CommandError(f"{provider.title} accounts do not take {flags}")
        if options["interval"] < 1:
            raise CommandError("--interval must be at least 1 second")
        try:
            zoneinfo.ZoneInfo(options["time_zone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown time zone {options['time_zone']!r}") from None
        secrets: dict[str, str] = {}
        settings: dict[str, str] = {}
        for name, f in own.items():
            value = options.get(f"field_{name}", f.default)
            if value is None:
                if f.required:
                    raise CommandError(f"--{name.replace('_', '-')} is required for {vendor}")
                continue
            if f.choices and value not in f.choices:
                raise CommandError(
                    f"--{name.replace('_', '-')} must be one of {', '.join(f.choices)}"
                )
            (secrets if f.secret else settings)[name] = value
        account = ProviderAccount.objects.create(
            name=options["name"],
            vendor=vendor,
            base_url=options["base_url"].rstrip("/"),
            options=settings,
            secrets=secrets,
            time_zone=options["time_zone"],
            poll_interval_s=options["interval"],
        )
        self.stdout.write(str(account.pk))
