"""The product's ASGI application, except that the server closes every WebSocket normally
(code 1000) two seconds after accepting it: what a proxy's idle timeout or a server that
recycles long-lived sockets does. Served by the reconnect test."""

from __future__ import annotations

import asyncio
from typing import Any

from wallboard.asgi import application as product

Scope = dict[str, Any]
Message = dict[str, Any]
CLOSE_AFTER_S = 2.0


async def application(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        await product(scope, receive, send)
        return
    closed = False

    async def close_later() -> None:
        nonlocal closed
        await asyncio.sleep(CLOSE_AFTER_S)
        closed = True
        await send({"type": "websocket.close", "code": 1000})

    async def send_until_closed(message: Message) -> None:
        if message["type"] == "websocket.accept":
            closer.append(asyncio.create_task(close_later()))
        if not closed:
            await send(message)

    closer: list[asyncio.Task[None]] = []
    try:
        await product(scope, receive, send_until_closed)
    finally:
        for task in closer:
            task.cancel()
