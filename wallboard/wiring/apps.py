from __future__ import annotations

import gc
from typing import Any

from django.apps import AppConfig, apps
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _create_cache_table(using: str = "default", **_: Any) -> None:
    """The database cache's table (the mode without Redis), after every migrate: a no-op
    when it exists or the cache is elsewhere."""
    call_command("createcachetable", database=using, verbosity=0)


#: Objects allocated, less those freed, before the collector looks at the young ones
#: (Python's default: 700). A poll of 1,000 agents makes and drops tens of thousands, so at
#: 700 it ran five times a poll (ADR 034).
YOUNG_OBJECTS = 10_000


def settle_collector() -> None:
    """Every process, once its apps are loaded: what startup built (modules, classes,
    models) lives as long as the process, so the collector stops walking it (ADR 034), and
    it looks at young objects less often. Celery's workers fork after this and share it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


class WiringConfig(AppConfig):
    name = "wallboard.wiring"
    label = "wiring"
    verbose_name = "Wiring"  # no models: never shown

    def ready(self) -> None:
        from wallboard import metrics

        # Each process starts by clearing what dead ones left live (ADR 024).
        metrics.sweep()
        settle_collector()
        # migrate signals only apps with models, and the wiring has none.
        post_migrate.connect(_create_cache_table, sender=apps.get_app_config("monitoring"))
