"""A cheap vendor for ``bench --accounts``: Daktela replies recorded once from the bundled
simulator, served from memory by uvicorn in a process of its own.

The full simulators would cost as much CPU as the polls they answer (a call-centre model and
JSON rendering per request), and the accounts benchmark measures the polls. Here every
account reads a recorded call centre at ``/a<n>/api/…``; which of the recorded moments it
sees moves on every ``interval_s`` (offset per account), so consecutive polls of one
account differ the way a live call centre's do and each poll stores a real, small diff.

This module is the server process's whole program: the standard library only, no Django.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

REPLAY_FILE_ENV = "BENCH_REPLAY_FILE"
REPLAY_INTERVAL_ENV = "BENCH_REPLAY_INTERVAL_S"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ReplayApp:
    """The ASGI app: ``/a<n><recorded path>`` → that path's body at account n's moment."""

    def __init__(self) -> None:
        self._moments: list[dict[str, bytes]] | None = None
        self._interval_s = 2.0

    def _load(self) -> list[dict[str, bytes]]:
        if self._moments is None:
            raw = json.loads(Path(os.environ[REPLAY_FILE_ENV]).read_text())
            self._moments = [{p: body.encode() for p, body in m.items()} for m in raw]
            self._interval_s = float(os.environ.get(REPLAY_INTERVAL_ENV, "2"))
        return self._moments

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        moments = self._load()
        prefix, _, rest = scope["path"].lstrip("/").partition("/")
        body = None
        if prefix.startswith("a") and prefix[1:].isdigit():
            # Accounts stay out of step with each other, as real call centres are.
            offset = zlib.crc32(prefix.encode()) % len(moments)
            moment = (int(time.time() / self._interval_s) + offset) % len(moments)
            body = moments[moment].get("/" + rest)
        status = 200 if body is not None else 404
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body or b"{}"})


app = ReplayApp()
