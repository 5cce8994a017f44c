"""The explicit vendor registry: no registration by import side effect."""

from __future__ import annotations

from .base import Provider
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
