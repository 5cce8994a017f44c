"""The explicit vendor registry: no registration by import side effect."""

from __future__ import annotations

from collections.abc import Mapping

from .base import ConfigField, Provider
from .daktela.adapter import DaktelaProvider
from .spikon.adapter import SpikonProvider
from .voipsun.adapter import VoipsunProvider

PROVIDERS: dict[str, type[Provider]] = {
    "spikon": SpikonProvider,
    "voipsun": VoipsunProvider,
    "daktela": DaktelaProvider,
}


def provider_class(vendor: str) -> type[Provider]:
    try:
        return PROVIDERS[vendor]
    except KeyError:
        raise KeyError(
            f"Unknown provider {vendor!r}; known: {', '.join(sorted(PROVIDERS))}"
        ) from None


def all_config_fields() -> dict[str, ConfigField]:
    """Every vendor's settings by name (the first vendor declaring a name describes it)."""
    fields: dict[str, ConfigField] = {}
    for provider in PROVIDERS.values():
        for f in provider.config_fields:
            fields.setdefault(f.name, f)
    return fields


def split_settings(vendor: str, values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """A vendor's settings split into (options, secrets) as its config fields declare."""
    secret = {f.name for f in provider_class(vendor).config_fields if f.secret}
    options = {k: v for k, v in values.items() if k not in secret}
    return options, {k: v for k, v in values.items() if k in secret}


def feed_vendors() -> frozenset[str]:
    """The vendors whose accounts may have a change feed (``Provider.agent_feed``)."""
    return frozenset(key for key, provider in PROVIDERS.items() if provider.feeds_agents)
