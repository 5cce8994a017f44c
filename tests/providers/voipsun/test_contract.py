"""The shared provider contract, run on the VoIPSUN adapter with the manual's replies."""

from __future__ import annotations

from providers.base import Provider
from tests.providers.contract import Handler, ProviderContract
from tests.providers.voipsun.fake_voipsun import VoipsunReplies, make_provider


class TestVoipsunContract(ProviderContract):
    def make_provider(self, handler: Handler) -> Provider:
        return make_provider(handler, queues="FrontaIT")

    def fixture_handler(self) -> Handler:
        return VoipsunReplies()
