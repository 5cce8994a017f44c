"""The manual's sample replies served over ``httpx.MockTransport`` (HTTP is all we mock).

``DaktelaReplies`` answers each documented URL with the verbatim fixture for that action,
checks the access token like Daktela does (a wrong one gets the manual's
"Uživatel neexistuje"), records every request, and lets a test override any action's reply.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from providers.base import AccountConfig
from providers.daktela.adapter import DaktelaProvider

FIXTURES = Path(__file__).parent / "fixtures"
BASE_URL = "https://MojeVU.daktela.com"
LOGIN = "demo"
PASSWORD = "s3cret-Pa55"
TOKEN = hashlib.sha1((LOGIN + PASSWORD).encode(), usedforsecurity=False).hexdigest()
NOW = datetime(2026, 11, 22, 8, 0, 2, tzinfo=UTC)


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def all_queues_reply() -> bytes:
    """GetQueues without an id. The manual shows only the one-queue reply, so the all-queues
    reply is built from it in its documented shape (objects keyed by id, ``options`` a JSON
    string), with the queues RTUsersState and RTStatsQueues refer to (1, 3, 4, 6)."""
    sample = json.loads(load("GetQueues_3.0_single.json"))["result"]
    queues = {"3": sample}
    for queue_id, number, title in (("1", "2000", "test"), ("4", "2002", "ODCHOZI"),
                                    ("6", "2003", "CTC")):  # fmt: skip
        queues[queue_id] = {**sample, "queue": queue_id, "name": number, "title": title}
    return json.dumps({"status": 1, "error": None, "result": queues}).encode()


DEFAULT_REPLIES: dict[str, Callable[[], bytes]] = {
    "GetQueues": all_queues_reply,
    "RTStatsQueues": lambda: load("RTStatsQueues_3.5.json"),
    "GetPauses": lambda: load("GetPauses_3.3.json"),
    "RTUsersState": lambda: load("RTUsersState_4.1.json"),
    "RTStatsCalls": lambda: load("RTStatsCalls_3.5.json"),
    "DeviceStates": lambda: load("DeviceStates_3.1.json"),
    "PauseOn": lambda: load("PauseOn_3.1.json"),
    "PauseOff": lambda: load("PauseOff_3.0.json"),
    "Monitoring": lambda: load("Monitoring_3.1.json"),
    "Transfer": lambda: load("Transfer_3.1.json"),
    "Hangup": lambda: load("Hangup_3.1.json"),
    "LoginQueue": lambda: load("LoginQueue_3.0.json"),
    "LogoutQueue": lambda: load("LogoutQueue_3.0.json"),
    "Login": lambda: load("Login_3.4.json"),
    "Logout": lambda: load("Logout_3.4.json"),
    "CreateCall": lambda: load("CreateCall_3.1.json"),
    "PickupFromQueue": lambda: load("PickupFromQueue_4.0.json"),
    "RTUserState": lambda: load("RTUserState_4.0.json"),
}

Reply = bytes | httpx.Response | Exception


@dataclass
class DaktelaReplies:
    """A MockTransport handler speaking the manual's URLs and replies."""

    overrides: dict[str, Reply] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def action(self, request: httpx.Request) -> tuple[str, str | None]:
        parts = request.url.path.split("/")  # ["", "api", version, Action, (id,) "json"]
        assert parts[1] == "api", request.url.path
        assert parts[-1] == "json", request.url.path
        return parts[3], (parts[4] if len(parts) == 6 else None)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        action, record_id = self.action(request)
        if request.url.params.get("access_token") != TOKEN:
            return httpx.Response(200, content=load("GetUser_bad_token.json"))
        reply: Any = self.overrides.get(action)
        if reply is None:
            if action == "GetQueues" and record_id is not None:
                # The manual's GetQueues/3 reply shape: the one queue object, not keyed.
                queues = json.loads(all_queues_reply())["result"]
                envelope = {"status": 1, "error": None, "result": queues.get(record_id)}
                reply = json.dumps(envelope).encode()
            else:
                reply = DEFAULT_REPLIES[action]()
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return httpx.Response(200, content=reply, headers={"Content-Type": "application/json"})

    def params(self, action: str) -> dict[str, str]:
        """The query (without the token) of the last request for ``action``."""
        for request in reversed(self.requests):
            if self.action(request)[0] == action:
                return {k: v for k, v in request.url.params.items() if k != "access_token"}
        raise AssertionError(f"no {action} request was sent")


def make_config(**options: str) -> AccountConfig:
    return AccountConfig(
        base_url=BASE_URL,
        secrets={"password": PASSWORD},
        options={"login": LOGIN, "api_version": "4.1", **options},
        time_zone="Europe/Prague",
    )


def make_provider(
    handler: Callable[[httpx.Request], httpx.Response], **options: str
) -> DaktelaProvider:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return DaktelaProvider(make_config(**options), client=client, clock=lambda: NOW)
