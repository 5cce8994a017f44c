from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _create_cache_table(using: str = "default", **_: Any) -> None:
    """The database cache's table (the mode without Redis), after every migrate: a no-op
    when it exists or the cache is elsewhere."""
    call_command("createcachetable", database=using, verbosity=0)


class WiringConfig(AppConfig):
    name = "wallboard.wiring"
    label = "wiring"
    verbose_name = "Wiring"  # no models: never shown

    def ready(self) -> None:
        from wallboard import metrics

        # Each process starts by clearing what dead ones left live (ADR 024).
        metrics.sweep()
        # migrate signals only apps with models, and the wiring has none.
        post_migrate.connect(_create_cache_table, sender=apps.get_app_config("monitoring"))
