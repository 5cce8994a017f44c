"""Development tooling, not product: the benchmarks (``manage.py bench``), the soak
(``manage.py soak``), history experiments (``history_day``, ``prune_bench``) and the process
and WebSocket harness they share with the tests.

It lives outside the installed package: the wheel, the Docker image and the production
settings do not contain it. ``manage.py`` runs these commands from a checkout with
``tools.settings`` (the product's settings plus this app).
"""

from __future__ import annotations

import importlib.util

from django.core.management.base import CommandError


def require(command: str, *modules: str) -> None:
    """Fail with what to install when a development dependency of ``command`` is missing."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise CommandError(
            f"manage.py {command} needs the development dependencies ({', '.join(missing)} "
            "missing): pip install -c constraints.txt -e '.[dev]'"
        )
