"""The shared provider contract, run on the SPIKON adapter with the manuals' sample replies,
for both API versions and both reply formats."""

from __future__ import annotations

from providers.base import Provider
from tests.providers.contract import Handler, ProviderContract
from tests.providers.spikon.recorded import RecordedReplies, make_provider


class _SpikonContract(ProviderContract):
    version = "1.3"
    fmt = "json"

    def make_provider(self, handler: Handler) -> Provider:
        return make_provider(handler, version=self.version, fmt=self.fmt)

    def fixture_handler(self) -> Handler:
        return RecordedReplies(self.version, 1 if self.fmt == "xml" else 0)


class TestSpikon13Json(_SpikonContract):
    version, fmt = "1.3", "json"


class TestSpikon13Xml(_SpikonContract):
    version, fmt = "1.3", "xml"


class TestSpikon103Json(_SpikonContract):
    version, fmt = "1.0.3", "json"


class TestSpikon103Xml(_SpikonContract):
    version, fmt = "1.0.3", "xml"
