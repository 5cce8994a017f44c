"""WebSocket consumers: thin — join groups, send the full state, forward pushed fragments."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from wallboard.dashboards.fragments import render_sections
from wallboard.live.push import account_group
from wallboard.monitoring.models import ProviderAccount


def _board_accounts() -> list[ProviderAccount]:
    return list(ProviderAccount.objects.filter(enabled=True).order_by("name", "pk"))


@database_sync_to_async
def _full_state(accounts: list[ProviderAccount]) -> str:
    return render_sections(accounts)


class BoardConsumer(AsyncWebsocketConsumer):
    """One browser watching the board: full state on connect, then only what changed."""

    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        accounts = await database_sync_to_async(_board_accounts)()
        # Join before reading the state, so no change can fall between the two.
        for account in accounts:
            group = account_group(account.pk)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        await self.send(text_data=await _full_state(accounts))

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The board is read-only: anything a browser sends is ignored."""

    async def board_update(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["html"])
