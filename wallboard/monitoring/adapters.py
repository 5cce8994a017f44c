"""The vendor adapter for an account: built from its stored settings, and kept per account by
the poller so HTTP connections (and the TLS context, which costs ~45 ms to build) live
across polls. A changed account setting builds a new one."""

from __future__ import annotations

import threading

from providers.base import AccountConfig, Provider
from providers.registry import provider_class
from wallboard.monitoring.models import ProviderAccount


def build_provider(account: ProviderAccount) -> Provider:
    return provider_class(account.vendor)(account.config())


_providers: dict[int, tuple[AccountConfig, Provider]] = {}
_providers_lock = threading.Lock()


def polling_provider(account: ProviderAccount) -> Provider:
    config = account.config()
    with _providers_lock:
        cached = _providers.get(account.pk)
        if cached is not None and cached[0] == config:
            return cached[1]
        provider = provider_class(account.vendor)(config)
        _providers[account.pk] = (config, provider)
    if cached is not None:
        cached[1].close()
    return provider
