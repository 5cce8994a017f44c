"""WebSocket consumers: thin — check who is watching, join groups, send the full state,
then forward the fragments pushed to the groups. No business logic here."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation

from wallboard.accounts.access import linked_agent, visible_accounts
from wallboard.dashboards.fragments import BoardView, render_agent_tiles, render_sections
from wallboard.dashboards.models import TvLink
from wallboard.live.push import account_group, agent_group, board_group, tv_group, user_group
from wallboard.monitoring.models import Agent

# 4401-4403: application close codes the browser treats as "do not come back as is".
CLOSE_UNAUTHORISED = 4403


class _FragmentsConsumer(AsyncWebsocketConsumer):
    """Common plumbing: the groups this socket joined, forwarding, closing on demand."""

    groups_joined: list[str]

    async def join(self, *groups: str) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Pages are read-only over the socket: anything a browser sends is ignored."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to a thread before every message to close stale database
        # connections; forwarding a rendered fragment touches no database, and that hop was
        # the largest cost of fanning one change out to hundreds of screens (ADR 011).
        if message["type"] == "board.update":
            await self.send(text_data=message["html"])
            return
        await super().dispatch(message)

    async def session_end(self, event: dict[str, Any]) -> None:
        """The user logged out, lost their role, or the TV link was revoked."""
        await self.close(code=CLOSE_UNAUTHORISED)

    def language(self) -> str:
        """The page's language: the switcher's cookie, else the browser's Accept-Language."""
        headers = dict(self.scope.get("headers", []))
        request = SimpleNamespace(
            COOKIES=self.scope.get("cookies", {}),
            META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
        )
        return translation.get_language_from_request(request)  # type: ignore[arg-type]

    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))


@database_sync_to_async
def _view_for_user(user: Any, query: dict[str, list[str]]) -> BoardView:
    return BoardView.for_request(visible_accounts(user), query)


@database_sync_to_async
def _view_for_tv(token: str) -> tuple[TvLink, BoardView] | None:
    link = TvLink.from_token(token)
    if link is None:
        return None
    return link, BoardView.for_board(link.board)


@database_sync_to_async
def _full_state(view: BoardView, language: str) -> str:
    with translation.override(language):
        return render_sections(view)


@database_sync_to_async
def _own_tiles(agents: list[Agent], language: str) -> str:
    with translation.override(language):
        return render_agent_tiles(agents)


class BoardConsumer(_FragmentsConsumer):
    """A signed-in person watching the board or the console."""

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        view = await _view_for_user(user, self.query())
        # Join before reading the state, so no change can fall between the two.
        language = self.language()
        await self.join(
            user_group(user.pk), *(account_group(a.pk, language) for a in view.accounts)
        )
        await self.accept()
        await self.send(text_data=await _full_state(view, language))


class TvConsumer(_FragmentsConsumer):
    """A wall screen opened through a TV link: no login, read-only, revocable."""

    async def connect(self) -> None:
        self.groups_joined = []
        found = await _view_for_tv(self.scope["url_route"]["kwargs"]["token"])
        if found is None:
            await self.close()
            return
        link, view = found
        language = self.language()
        await self.join(
            tv_group(link.pk),
            board_group(link.board_id),
            *(account_group(a.pk, language) for a in view.accounts),
        )
        await self.accept()
        await self.send(text_data=await _full_state(view, language))


@database_sync_to_async
def _own_agents(user: Any) -> list[Agent]:
    return [a for a in (linked_agent(user, acc) for acc in visible_accounts(user)) if a]


class AgentPanelConsumer(_FragmentsConsumer):
    """An agent's own panel: only their own tile(s)."""

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        agents = await _own_agents(user)
        language = self.language()
        await self.join(user_group(user.pk), *(agent_group(a.pk, language) for a in agents))
        await self.accept()
        await self.send(text_data=await _own_tiles(agents, language))
