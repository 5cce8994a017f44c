"""The product's settings plus the tools app, whose management commands (bench, soak,
history_day, prune_bench) run from a checkout only."""

from __future__ import annotations

from wallboard.settings import *  # noqa: F403
from wallboard.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tools"]
