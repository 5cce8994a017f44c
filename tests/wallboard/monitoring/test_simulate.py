"""``manage.py simulate``: its options become the engine's config (serving is not run)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management.base import CommandError

from providers.sim.engine import LOADS
from wallboard.monitoring.management.commands.simulate import Command

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def _options(*argv: str) -> dict[str, object]:
    parser = Command().create_parser("manage.py", "simulate")
    return vars(parser.parse_args(["--provider", "daktela", *argv]))


def test_the_default_load_is_normal_with_its_busy_hour_at_the_start() -> None:
    config = Command.config(_options(), NOW)
    assert config.load == LOADS["normal"]
    assert config.busy_hour_at == NOW
    assert (config.agents, config.queues, config.seed) == (20, 3, 1)


@pytest.mark.parametrize("load", ["quiet", "normal", "busy"])
def test_each_named_load(load: str) -> None:
    config = Command.config(_options("--load", load, "--seed", "9", "--agents", "24"), NOW)
    assert config.load is LOADS[load]
    assert (config.seed, config.agents) == (9, 24)


def test_an_unknown_load_is_refused_naming_the_choices() -> None:
    with pytest.raises(CommandError, match=r"quiet.*normal.*busy"):
        _options("--load", "frantic")
