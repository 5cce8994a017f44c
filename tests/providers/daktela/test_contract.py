"""The shared provider contract, run on the Daktela adapter with the manual's replies."""

from __future__ import annotations

from providers.base import Provider
from tests.providers.contract import Handler, ProviderContract
from tests.providers.daktela.fake_daktela import DaktelaReplies, make_provider


class TestDaktelaContract(ProviderContract):
    def make_provider(self, handler: Handler) -> Provider:
        return make_provider(handler)

    def fixture_handler(self) -> Handler:
        return DaktelaReplies()
