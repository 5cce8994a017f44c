"""WebSocket consumers: thin — check who is watching, join groups, send the full state,
then forward the fragments pushed to the groups. No business logic here."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, ClassVar
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.utils import translation

from wallboard.accounts.access import linked_agent, visible_accounts
from wallboard.dashboards.models import TvLink
from wallboard.dashboards.selection import BoardView
from wallboard.dashboards.updates import render_agent_tiles, render_sections
from wallboard.live.push import account_group, agent_group, board_group, tv_group, user_group
from wallboard.monitoring.models import Agent

# 4401-4403: application close codes the browser treats as "do not come back as is".
CLOSE_UNAUTHORISED = 4403
# A screen that stopped reading: "try again later"; reconnecting sends it the full state.
CLOSE_LAGGING = 1013
CLOSE_POLICY_VIOLATION = 1008
# How long one message may wait for room in a socket's send buffer before the screen counts
# as gone. Deltas are a few KB; a full board (up to ~330 KB) drains in ~3 s at 1 Mbit/s.
SEND_TIMEOUT_S = 10.0
# How often each process looks for such sends (so a screen goes within 10-11 s).
SEND_CHECK_S = 1.0
# Pages never send anything; a socket that does, this often, is closed. The web server
# closes one sending a larger message (uvicorn --ws-max-size) before it reaches a consumer.
MAX_CLIENT_MESSAGES_PER_S = 10
MAX_CLIENT_MESSAGE_BYTES = 64 * 1024

log = logging.getLogger(__name__)


class _SendWatch:
    """The sockets of one event loop, checked once a second for a send that has waited
    longer than ``SEND_TIMEOUT_S`` for room in its buffer. A timer around every frame sent
    cost an eighth of the web process's CPU per delta at 1,000 screens (ADR 018); this costs
    a pass over the sockets a second. It runs while the loop has sockets."""

    loops: ClassVar[dict[asyncio.AbstractEventLoop, _SendWatch]] = {}

    def __init__(self) -> None:
        self.consumers: set[_FragmentsConsumer] = set()
        self.task = asyncio.create_task(self._run())

    @classmethod
    def add(cls, consumer: _FragmentsConsumer) -> None:
        loop = asyncio.get_running_loop()
        watch = cls.loops.get(loop)
        if watch is None:
            watch = cls.loops[loop] = cls()
        watch.consumers.add(consumer)

    @classmethod
    def discard(cls, consumer: _FragmentsConsumer) -> None:
        loop = asyncio.get_running_loop()
        watch = cls.loops.get(loop)
        if watch is None:
            return
        watch.consumers.discard(consumer)
        if not watch.consumers:
            watch.task.cancel()
            del cls.loops[loop]

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(SEND_CHECK_S)
            since = time.monotonic() - SEND_TIMEOUT_S
            for consumer in [c for c in self.consumers if c.sending_since < since]:
                try:
                    await consumer.lagging()
                except Exception:  # one socket's trouble must not stop the checks
                    log.exception("could not drop a socket that stopped reading")


class _FragmentsConsumer(AsyncWebsocketConsumer):
    """Common plumbing: the groups this socket joined, forwarding, closing on demand."""

    groups_joined: list[str]
    closing: asyncio.Task[None] | None = None
    # When the send under way started (monotonic clock); infinity while none is.
    sending_since = math.inf
    window_start = 0.0
    window_messages = 0

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        """Channels' ``AsyncConsumer.__call__`` with the socket and the channel read by two
        loops: its ``await_many_dispatch`` runs ``asyncio.wait`` on both for every message,
        a quarter of the server's CPU when one delta goes to a thousand sockets (ADR 012).
        The channel is read once ``connect`` is done, so no delta precedes the full state,
        and cancelling its read makes the layer drop the channel."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send
        pump: asyncio.Task[None] | None = None
        try:
            while True:
                await self.dispatch(await receive())
                if pump is None:
                    pump = asyncio.create_task(self._pump())
                    _SendWatch.add(self)
        except StopConsumer:
            pass
        finally:
            if pump is not None:
                _SendWatch.discard(self)
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump

    async def _pump(self) -> None:
        while True:
            await self.dispatch(await self.channel_receive())

    async def join(self, *groups: str) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)

    async def leave(self) -> None:
        groups, self.groups_joined = getattr(self, "groups_joined", []), []
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self.leave()
        if self.closing is not None:
            self.closing.cancel()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to a thread before every message to close stale database
        # connections. Forwarding a rendered fragment and ignoring what a client sends touch
        # no database, and that hop was the largest cost of fanning one change out to
        # hundreds of screens (ADR 011) and what a flooding client would cost everyone.
        kind = message["type"]
        if kind == "board.update":
            if self.closing is None:
                await self.forward(message["html"])
            return
        if kind == "websocket.receive":
            await self.client_message()
            return
        await super().dispatch(message)

    async def forward(self, html: str) -> None:
        """Send; ``_SendWatch`` drops a screen whose send buffer stays full (ADR 012), as
        a blocked send would let this socket's deltas pile up in memory. The server's send
        itself: Channels' two ``send`` layers above it only build this message."""
        self.sending_since = time.monotonic()
        try:
            await self.base_send({"type": "websocket.send", "text": html})
        finally:
            self.sending_since = math.inf

    async def lagging(self) -> None:
        """The send under way has waited too long for room: leave the groups, so nothing
        more queues up, and close once the buffer drains (or the connection is gone)."""
        if self.closing is None:
            log.info("closing a socket that stopped reading: %s", self.scope.get("client"))
            await self.shut(CLOSE_LAGGING)

    async def client_message(self) -> None:
        """Pages are read-only over the socket: anything a browser sends is ignored, and a
        socket sending more than a page ever would is closed."""
        now = time.monotonic()
        if now - self.window_start >= 1:
            self.window_start, self.window_messages = now, 0
        self.window_messages += 1
        if self.window_messages > MAX_CLIENT_MESSAGES_PER_S and self.closing is None:
            log.info("closing a socket that floods the server: %s", self.scope.get("client"))
            await self.shut(CLOSE_POLICY_VIOLATION)

    async def shut(self, code: int) -> None:
        """Leave the groups at once, so nothing more queues up for this socket, and close it
        in the background: the close frame waits for room in the send buffer, and a peer
        that never reads again is gone when its TCP connection is."""
        await self.leave()
        self.closing = asyncio.create_task(self._close(code))

    async def _close(self, code: int) -> None:
        with contextlib.suppress(OSError):  # the peer went away first
            await self.close(code=code)

    async def session_end(self, event: dict[str, Any]) -> None:
        """The user logged out, lost their role, or the TV link was revoked."""
        await self.shut(CLOSE_UNAUTHORISED)

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
