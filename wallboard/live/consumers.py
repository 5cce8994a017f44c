"""WebSocket consumers: thin — check who is watching, join groups, send the full state,
then forward the fragments pushed to the groups. No business logic here."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone, translation
from redis.exceptions import RedisError

from wallboard import metrics
from wallboard.accounts.access import Scope, linked_agent, visible_accounts
from wallboard.dashboards.editor import board_for
from wallboard.dashboards.models import TvLink
from wallboard.dashboards.selection import BoardView
from wallboard.dashboards.updates import render_agent_tiles, render_sections
from wallboard.live import presence
from wallboard.live.hello import BadReport, Screen, parse_report
from wallboard.live.presence import Recorded, Shows, Watch
from wallboard.live.push import board_group, tv_group, user_group
from wallboard.live.slots import RENEW_S, slots, tv_slot
from wallboard.monitoring.models import Agent, ProviderAccount, Queue

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
# Pages send nothing but a TV's hello and page turns (one per turn, 5 s at the fastest); a
# socket sending this often is closed. The web server closes one sending a larger message
# (uvicorn --ws-max-size) before it reaches a consumer.
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
    # What this socket told ``presence`` it watches (the groups changes are rendered for).
    watching: Sequence[Recorded] = ()
    audience: str  # wallboard_sockets_open's label
    counted = False
    closing: asyncio.Task[None] | None = None
    # When the send under way started (monotonic clock); infinity while none is.
    sending_since = math.inf
    window_start = 0.0
    window_messages = 0
    # The session's or TV link's socket slot this socket holds, and the task renewing it.
    slot: str | None = None
    renewing: asyncio.Task[None] | None = None
    # Closes the socket when what let it in runs out (a TV link's expiry).
    deadline: asyncio.Task[None] | None = None

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

    async def join(self, *groups: str | Recorded) -> None:
        """Join the groups, then say which rendered ones (and which widgets) this socket
        watches: before the full state is read, so no change falls between the two
        (``presence``)."""
        watches = [g for g in groups if not isinstance(g, str)]
        for group in groups:
            if isinstance(group, Shows):
                continue
            name = group.group if isinstance(group, Watch) else group
            await self.channel_layer.group_add(name, self.channel_name)
            self.groups_joined.append(name)
        if watches:
            self.watching = watches
            await presence.watch(watches)

    async def leave(self) -> None:
        groups, self.groups_joined = getattr(self, "groups_joined", []), []
        watching, self.watching = self.watching, ()
        if watching:
            await presence.unwatch(watching)
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        metrics.SOCKETS_OPEN.labels(self.audience).inc()
        self.counted = True

    async def disconnect(self, code: int) -> None:
        if self.counted:
            self.counted = False
            metrics.SOCKETS_OPEN.labels(self.audience).dec()
        await self.leave()
        if self.closing is not None:
            self.closing.cancel()
        if self.deadline is not None:
            self.deadline.cancel()
        if self.renewing is not None:
            self.renewing.cancel()
        if self.slot is not None:
            await slots().give_back(self.slot, self.channel_name)

    async def take_slot(self, key: str, limit: int) -> bool:
        """Hold one of ``limit`` sockets ``key`` (a session, a TV link) may have open on
        every web process; past the limit the socket is accepted and closed at once with
        1008 (policy violation), which a page does not come back from any sooner than from
        any other close."""
        try:
            taken = await slots().take(key, self.channel_name, limit)
        except (ConnectionError, OSError, RedisError):
            # Redis unreachable: the channel layer is too, and the page says "Reconnecting";
            # refusing the socket as well would only keep it dark once Redis is back.
            log.warning("socket limits not checked, Redis unreachable: %s", key.split(":")[0])
            return True
        if not taken:
            log.info("closing a socket past the limit of %s for %s", limit, key.split(":")[0])
            await self.accept()
            await self.close(code=CLOSE_POLICY_VIOLATION)
            return False
        self.slot = key
        self.renewing = asyncio.create_task(self._renew(key))
        return True

    async def _renew(self, key: str) -> None:
        while True:
            await asyncio.sleep(RENEW_S)
            with contextlib.suppress(Exception):  # a missed renewal only shortens the lease
                await slots().renew(key, self.channel_name)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to a thread before every message to close stale database
        # connections. Forwarding a rendered fragment and checking what a client sends touch
        # no database (a TV's hello goes through database_sync_to_async, which hops itself),
        # and that hop was the largest cost of fanning one change out to hundreds of
        # screens (ADR 011) and what a flooding client would cost everyone.
        kind = message["type"]
        if kind == "board.update":
            if self.closing is None:
                await self.forward(message["html"])
            return
        if kind == "websocket.receive":
            await self.client_message(message)
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

    async def client_message(self, message: dict[str, Any]) -> None:
        """A socket sending more than a page ever would is closed; what is sent before
        that goes to ``received``."""
        if self.closing is not None:
            return
        now = time.monotonic()
        if now - self.window_start >= 1:
            self.window_start, self.window_messages = now, 0
        self.window_messages += 1
        if self.window_messages > MAX_CLIENT_MESSAGES_PER_S:
            log.info("closing a socket that floods the server: %s", self.scope.get("client"))
            await self.shut(CLOSE_POLICY_VIOLATION)
            return
        await self.received(message)

    async def received(self, message: dict[str, Any]) -> None:
        """The board and the agent's panel are read-only: what their browser sends is
        ignored."""

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
        """The user logged out or their rights changed, or the TV link (or its board)
        changed: the page reloads, and what it may see is decided again."""
        await self.shut(CLOSE_UNAUTHORISED)

    def session_slot(self) -> str:
        session = self.scope.get("session")
        return f"session:{getattr(session, 'session_key', None) or self.scope['user'].pk}"

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
def _view_for_user(
    user: Any, query: dict[str, list[str]], language: str
) -> tuple[BoardView, list[str | Recorded]]:
    """What the person's page shows, and the groups that send them its changes: an account
    seen whole is sent whole; one seen through a selection of queues, only that selection
    (``publish.selections``)."""
    scope = Scope.of(user)
    shaped = board_for(scope, (query.get("board") or [""])[0])
    if shaped is not None:
        view = BoardView.for_board(shaped)
        groups = _account_groups(view.accounts, view.queue_ids, language)
        return view, [board_group(shaped.pk), *groups, *_widgets(view)]
    view = BoardView.for_request(scope.accounts(), query, scope.queue_ids)
    return view, [*_account_groups(view.accounts, scope.queue_ids, language)]


@database_sync_to_async
def _view_for_tv(token: str, language: str) -> tuple[TvLink, BoardView, list[Recorded]] | None:
    link = TvLink.from_token(token)
    if link is None:
        return None
    view = BoardView.for_board(link.board)
    return link, view, [*_account_groups(view.accounts, view.queue_ids, language), *_widgets(view)]


def _widgets(view: BoardView) -> list[Shows]:
    """The widgets the board shows, for each of its accounts (only they are rendered)."""
    widgets = view.board.widgets if view.board is not None else []
    return [Shows(a.pk, widget) for a in view.accounts for widget in widgets]


def _account_groups(
    accounts: list[ProviderAccount], queue_ids: frozenset[int] | None, language: str
) -> list[Watch]:
    if queue_ids is None:
        return [Watch(a.pk, language) for a in accounts]
    by_account: dict[int, set[int]] = {}
    for account_pk, queue_pk in Queue.objects.filter(
        account__in=accounts, pk__in=queue_ids
    ).values_list("account_id", "pk"):
        by_account.setdefault(account_pk, set()).add(queue_pk)
    return [Watch(a.pk, language, frozenset(by_account.get(a.pk, ()))) for a in accounts]


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

    audience = "board"

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        if not await self.take_slot(self.session_slot(), settings.WS_MAX_SOCKETS_PER_SESSION):
            return
        language = self.language()
        view, groups = await _view_for_user(user, self.query(), language)
        # Join before reading the state, so no change can fall between the two.
        await self.join(user_group(user.pk), *groups)
        await self.accept()
        await self.send(text_data=await _full_state(view, language))


@database_sync_to_async
def _seen(link_pk: int, screen: Screen | None = None) -> None:
    """The link's TV is connected now (and, with a hello, this is its screen). An update of
    the row, not a save: no signal, no other field touched."""
    fields: dict[str, Any] = {"last_seen_at": timezone.now()}
    if screen is not None:
        fields.update(
            screen_w=screen.screen_w,
            screen_h=screen.screen_h,
            pixel_ratio=screen.dpr,
            viewport_w=screen.viewport_w,
            viewport_h=screen.viewport_h,
            user_agent=screen.ua,
        )
    try:
        TvLink.objects.filter(pk=link_pk).update(**fields)
    except DatabaseError as err:  # the board is still shown; "last seen" waits a minute
        log.warning("could not note a TV as seen: %s", err)


class TvConsumer(_FragmentsConsumer):
    """A wall screen opened through a TV link: no login, revocable; read-only but for its
    hello and page turns (``wallboard.live.hello``), which say what the screen is and
    shows."""

    audience = "tv"
    link_pk: int | None = None
    greeted = False
    # Notes the link as seen once a minute while the socket is open.
    seeing: asyncio.Task[None] | None = None

    async def _expire_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self.closing is None:
            await self.shut(CLOSE_UNAUTHORISED)

    async def connect(self) -> None:
        self.groups_joined = []
        language = self.language()
        found = await _view_for_tv(self.scope["url_route"]["kwargs"]["token"], language)
        if found is None:
            await self.close()
            return
        link, view, groups = found
        if not await self.take_slot(tv_slot(link.pk), settings.WS_MAX_SOCKETS_PER_TV_LINK):
            return
        # The link lets the TV in until it expires, open socket included.
        self.deadline = asyncio.create_task(
            self._expire_after(max(0.0, (link.expires_at - timezone.now()).total_seconds()))
        )
        await self.join(tv_group(link.pk), board_group(link.board_id), *groups)
        await self.accept()
        await self.send(text_data=await _full_state(view, language))
        self.link_pk = link.pk
        await _seen(link.pk)
        self.seeing = asyncio.create_task(self._keep_seen(link.pk))

    async def _keep_seen(self, link_pk: int) -> None:
        while True:
            await asyncio.sleep(RENEW_S)
            await _seen(link_pk)

    async def received(self, message: dict[str, Any]) -> None:
        try:
            report = parse_report(message.get("text"))
        except BadReport as err:
            log.info("ignored what a TV sent: %s", err)
            return
        if self.link_pk is None:
            return
        if report.screen is not None:
            if self.greeted:
                log.info("ignored a second hello on one TV socket")
                return
            self.greeted = True
            await _seen(self.link_pk, report.screen)
        if report.page is not None and self.slot is not None:
            try:
                await slots().set_page(self.slot, report.page_text)
            except (ConnectionError, OSError, RedisError):
                log.warning("a TV's page not noted, Redis unreachable")

    async def disconnect(self, code: int) -> None:
        if self.seeing is not None:
            self.seeing.cancel()
        await super().disconnect(code)
        if self.link_pk is not None:
            await _seen(self.link_pk)  # last seen: now


@database_sync_to_async
def _own_agents(user: Any) -> list[Agent]:
    return [a for a in (linked_agent(user, acc) for acc in visible_accounts(user)) if a]


class AgentPanelConsumer(_FragmentsConsumer):
    """An agent's own panel: only their own tile(s)."""

    audience = "agent"

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        if not await self.take_slot(self.session_slot(), settings.WS_MAX_SOCKETS_PER_SESSION):
            return
        agents = await _own_agents(user)
        language = self.language()
        watches = [Watch(a.account_id, language, agent_pk=a.pk) for a in agents]
        await self.join(user_group(user.pk), *watches)
        await self.accept()
        await self.send(text_data=await _own_tiles(agents, language))
