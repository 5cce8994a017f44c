"""The manuals' sample replies (``fixtures/``) and an adapter wired to them over MockTransport.

``fixtures/v1_0_3`` holds the samples of the 1.0.3 manual, ``fixtures/v1_3`` those of 1.3,
each saved verbatim from the manual (JSON as ``.json``, XML as ``.xml``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import httpx

from providers.base import AccountConfig
from providers.spikon.adapter import SpikonProvider

FIXTURES = Path(__file__).parent / "fixtures"
VERSION_DIRS = {"1.0.3": "v1_0_3", "1.3": "v1_3"}
EXTENSIONS = {0: "json", 1: "xml"}
API_KEY = "BXlmr2sN5lphLwYftAaJPYWgmctXtest"  # the manual's example key

#: URL method → fixture name.
METHOD_FIXTURES = {
    "cc_campaigns/list": "cc_campaigns_list",
    "cc_monitor/show": "cc_monitor_show",
    "cc_agent/list": "cc_agent_list",
    "phone_account/list": "phone_account_list",
    "call/initiate": "call_initiate",
    "cc_in_campaign/add_agent": "cc_in_campaign_add_agent",
    "cc_in_campaign/remove_agent": "cc_in_campaign_remove_agent",
    "cc_out_campaign/add_agent": "cc_out_campaign_add_agent",
    "cc_out_campaign/remove_agent": "cc_out_campaign_remove_agent",
    "cc_out_campaign/set_default": "cc_out_campaign_set_default",
}


def load(version: str, name: str, api_format: int) -> bytes:
    return (FIXTURES / VERSION_DIRS[version] / f"{name}.{EXTENSIONS[api_format]}").read_bytes()


def config(
    base_url: str = "https://panel.spikon.pl",
    *,
    version: str = "1.3",
    fmt: str = "json",
    api_key: str = API_KEY,
    **options: str,
) -> AccountConfig:
    return AccountConfig(
        base_url=base_url,
        secrets={"api_key": api_key},
        options={"api_version": version, "format": fmt, **options},
    )


def make_provider(
    handler: object, *, version: str = "1.3", fmt: str = "json", **options: str
) -> SpikonProvider:
    transport = httpx.MockTransport(handler)  # type: ignore[arg-type]
    return SpikonProvider(
        config(version=version, fmt=fmt, **options), client=httpx.Client(transport=transport)
    )


UNKNOWN_METHOD = {
    0: b'{"errors":{"error":{"id":"-1","text":"Unknown method"}}}',
    1: b'<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n<error>\n<id>-1</id>\n'
    b"<text>Unknown method</text>\n</error>\n</errors>",
}


class RecordedReplies:
    """Answers each documented URL with the manual's sample; records what it was sent."""

    def __init__(self, version: str = "1.3", api_format: int = 0) -> None:
        self.version = version
        self.api_format = api_format
        self.requests: list[tuple[str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.removeprefix("/api/")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.requests.append((method, form))
        name = METHOD_FIXTURES.get(method)
        if request.method != "POST" or name is None:
            return httpx.Response(404)
        if form.get("api_key") != API_KEY:
            return httpx.Response(200, content=load("1.0.3", "error_unknown_api_key", 1))
        try:
            body = load(self.version, name, self.api_format)
        except FileNotFoundError:  # a 1.3 method asked of 1.0.3
            body = UNKNOWN_METHOD[self.api_format]
        return httpx.Response(200, content=body)
