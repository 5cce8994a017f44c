"""``manage.py dump_state --account ID``: the normalised current state as JSON (DESIGN §9)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.state import state_json


class Command(BaseCommand):
    help = "Print an account's current state as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        account = ProviderAccount.objects.filter(pk=options["account"]).first()
        if account is None:
            raise CommandError(f"No account with id {options['account']}")
        self.stdout.write(json.dumps(state_json(account), ensure_ascii=False, indent=2))
