"""Stock Channels, to compare the fan-out with (issue 12 §6): a plain
``AsyncWebsocketConsumer`` that joins the account's group and forwards what the group
receives, behind Channels' own ``AuthMiddlewareStack``, with nothing of ours on the path.

``manage.py bench`` serves it with Daphne (``tools.processes.serve(kind="daphne",
app=STOCK_APP)``) beside the product on uvicorn, and sends both the same deltas through the
same Redis layer."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tools.bench_settings")
get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from wallboard.live.push import account_group  # noqa: E402

STOCK_APP = "tools.stock_asgi:application"


class StockBoardConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    group = ""

    async def connect(self) -> None:
        query = parse_qs(self.scope["query_string"].decode())
        self.group = account_group(int(query["account"][0]))
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def board_update(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["html"])


application = ProtocolTypeRouter(
    {"websocket": AuthMiddlewareStack(URLRouter([path("ws/board/", StockBoardConsumer.as_asgi())]))}
)
