"""The manual's recorded VoIPSUN replies, served per ``action`` over ``httpx.MockTransport``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from providers.base import AccountConfig
from providers.voipsun.adapter import VoipsunProvider

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "s3cret-Pw"
USERNAME = "apiuser"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def config(
    *, queues: str = "FrontaIT", agents: str = "", base_url: str = "http://pbx.example"
) -> AccountConfig:
    secrets = {"username": USERNAME, "password": PASSWORD}
    if agents:
        secrets["agents"] = agents
    return AccountConfig(base_url=base_url, secrets=secrets, options={"queues": queues})


NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def make_provider(handler: Handler, **kwargs: str) -> VoipsunProvider:
    """The adapter on a mock transport, with a fixed clock (call ``since`` = now - duration)."""
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return VoipsunProvider(config(**kwargs), client=client, clock=lambda: NOW)


class VoipsunReplies:
    """Answers each ``api.php`` action with the manual's sample; records the requests."""

    def __init__(self, overrides: dict[str, bytes] | None = None) -> None:
        self.replies: dict[str, bytes] = {
            "queuestatus": fixture("queuestatus.json"),
            "listcalls": fixture("listcalls.json"),
            "sipstatus": fixture("sipstatus.json"),
            "agentstatus": fixture("agentstatus_logged_out.txt"),
            **{
                action: fixture(f"{action}.json")
                for action in (
                    "agentlogin",
                    "agentlogout",
                    "agentpause",
                    "agentunpause",
                    "agentadd",
                    "agentremove",
                )
            },
            "spying": b'{"success":"true"}',
            "hangupcall": b'{"success":"true"}',
            "originate": b'{"success":"true"}',
            **(overrides or {}),
        }
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/api/api.php"
        action = request.url.params.get("action", "")
        body = self.replies.get(
            action, b'{"success":"false","errno":"110","reason":"Unknown action"}'
        )
        return httpx.Response(200, content=body)

    def params(self, action: str) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.requests if r.url.params.get("action") == action]
