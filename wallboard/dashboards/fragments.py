"""Render board fragments. The same markup serves the pages, the full state sent on connect,
and the pushed changes; a change is rendered once per language, whoever watches it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from wallboard.dashboards.alerts import levels_for
from wallboard.dashboards.models import Board
from wallboard.monitoring.models import ActiveCall, Agent, ProviderAccount, Queue, WaitingCall
from wallboard.monitoring.store import StoredChanges

BOARD = "dashboards/board.html"
OOB = ' hx-swap-oob="true"'


def _partial(name: str, context: dict[str, Any]) -> str:
    return get_template(f"{BOARD}#{name}").render(context)


@dataclass(frozen=True)
class BoardView:
    """What one page shows: some accounts, optionally only some of their queues."""

    accounts: list[ProviderAccount]
    queue_ids: frozenset[int] | None = None
    board: Board | None = None

    @classmethod
    def for_request(
        cls, visible: QuerySet[ProviderAccount], query: dict[str, list[str]]
    ) -> BoardView:
        """Filter by ``?account=`` and ``?queue=`` (ids), never beyond what is visible."""
        accounts = visible
        wanted = [int(v) for v in query.get("account", []) if v.isdigit()]
        if wanted:
            accounts = accounts.filter(pk__in=wanted)
        queue_ids = [int(v) for v in query.get("queue", []) if v.isdigit()]
        queues = Queue.objects.filter(pk__in=queue_ids, account__in=accounts)
        return cls(
            accounts=list(accounts),
            queue_ids=frozenset(queues.values_list("pk", flat=True)) if queue_ids else None,
        )

    @classmethod
    def for_board(cls, board: Board) -> BoardView:
        accounts = list(board.accounts.filter(enabled=True).order_by("name", "pk"))
        queue_ids = frozenset(board.queues.values_list("pk", flat=True))
        return cls(accounts=accounts, queue_ids=queue_ids or None, board=board)

    def section(self, account: ProviderAccount) -> dict[str, Any]:
        queues = Queue.objects.filter(account=account)
        agents = Agent.objects.filter(account=account)
        if self.queue_ids is not None:
            queues = queues.filter(pk__in=self.queue_ids)
            agents = agents.filter(memberships__queue_id__in=self.queue_ids).distinct()
        section: dict[str, Any] = {
            "account": account,
            "queues": with_callers(queues),
            "agents": with_calls(agents),
        }
        if self.board is not None:
            levels = levels_for(self.board, account)
            section["board"] = self.board
            section["account_level"] = levels.get(None, 0)
            for queue in section["queues"]:
                queue.level = levels.get(queue.pk, 0)
        return section

    def sections(self) -> list[dict[str, Any]]:
        return [self.section(account) for account in self.accounts]


# The callers shown inside a queue tile (the count shows them all).
CALLERS_SHOWN = 5


def with_callers(queues: Iterable[Queue]) -> list[Queue]:
    """Queues with ``callers``: their longest-waiting callers, for the tile."""
    rows = list(queues)
    callers: dict[int, list[WaitingCall]] = {q.pk: [] for q in rows}
    for call in WaitingCall.objects.filter(queue__in=rows).order_by("queue_id", "position"):
        callers[call.queue_id].append(call)
    for queue in rows:
        queue.callers = callers[queue.pk][:CALLERS_SHOWN]  # type: ignore[attr-defined]
    return rows


def with_calls(agents: Iterable[Agent]) -> list[Agent]:
    """Agents with ``call``: the call they are on, if any, for the tile."""
    rows = list(agents)
    calls = {
        c.agent_id: c for c in ActiveCall.objects.filter(agent__in=rows).select_related("queue")
    }
    for agent in rows:
        agent.call = calls.get(agent.pk)  # type: ignore[attr-defined]
    return rows


# The fragments pushed most often (≈ 50 agent tiles and as many count lines per poll at 1,000
# agents / 5 % churn, once per language) are built here rather than by the template engine,
# which costs about 20 times as much per tile (DESIGN §10: ≤ 50 ms CPU per poll in all). The
# page templates include them through the ``tiles`` tags, so every screen still shows the
# same markup. No whitespace between tags: every byte goes to every screen.


def _iso(value: datetime) -> str:
    """What ``|date:'c'`` prints: the time in the current time zone, ISO 8601."""
    return timezone.localtime(value).isoformat()


@dataclass(frozen=True)
class Words:
    """The active language's words in the built fragments, looked up once per message
    (``get_status_display`` would translate every status choice on each call)."""

    status: dict[str, str]
    counts: tuple[str, str, str]

    @classmethod
    def current(cls) -> Words:
        return cls(
            {value: str(label) for value, label in Agent.STATUS_CHOICES},
            (escape(gettext("ready")), escape(gettext("busy")), escape(gettext("paused"))),
        )


def agent_tile(agent: Agent, oob: bool = False, words: Words | None = None) -> SafeString:
    words = words or Words.current()
    status = escape(agent.status)
    html = [
        f'<article id="agent-{agent.pk}" class="agent-tile status-{status.lower()}"'
        f' data-status="{status}" tabindex="0"{OOB if oob else ""}>'
        f'<span class="agent-name">{escape(agent.name)}</span>'
        f'<span class="agent-status" title="{escape(agent.raw_status)}">'
        f"{escape(words.status.get(agent.status, agent.status))}"
    ]
    if agent.pause_reason:
        html.append(f" · {escape(agent.pause_reason)}")
    html.append("</span>")
    if agent.status_since:
        html.append(f'<time class="in-state" data-since="{_iso(agent.status_since)}">0:00</time>')
    call: ActiveCall | None = getattr(agent, "call", None)
    if call:
        arrow = "↗" if call.direction == "out" else "↘"
        html.append(f'<span class="agent-call">{arrow} {escape(call.number)}')
        if call.queue:
            html.append(f" · {escape(call.queue.name)}")
        html.append("</span>")
    html.append("</article>")
    return SafeString("".join(html))


NO_FIGURE = "\N{EN DASH}"


def _count(value: int | None) -> str:
    return NO_FIGURE if value is None else str(value)


def queue_counts(queue: Queue, oob: bool = False, words: Words | None = None) -> SafeString:
    """A queue's agent counts: a fragment of its own, so an agent change sends only these."""
    ready, busy, paused = (words or Words.current()).counts
    return SafeString(
        f'<p id="queue-{queue.pk}-counts" class="agent-counts"{OOB if oob else ""}>'
        f'<b class="ready">{_count(queue.agents_ready)} <small>{ready}</small></b>'
        f'<b class="busy">{_count(queue.agents_busy)} <small>{busy}</small></b>'
        f'<b class="paused">{_count(queue.agents_paused)} <small>{paused}</small></b></p>'
    )


def seq_marker(
    account_pk: int,
    seq: int,
    now: datetime | None,
    *,
    full: bool = False,
    resync: bool = False,
    beat: bool = False,
    oob: bool = False,
) -> SafeString:
    """The account's sequence number (live.js spots a gap), and the server's clock in epoch
    milliseconds (the screen corrects its "time in state" counters by it).

    A ``beat`` marker says only "the poller is alive, nothing changed"; the full state tells
    the page after how long without any marker it must say its figures are not live, and how
    often a quiet account is heard from at most (its data age turns amber past two of those).
    """
    flags = (" data-full" if full else "") + (" data-resync" if resync else "")
    flags += " data-beat" if beat else ""
    if full:
        beat_ms = settings.LIVE_HEARTBEAT_S * 1000
        flags += f' data-silence-ms="{beat_ms * 3}" data-beat-ms="{beat_ms}"'
    clock = f' data-now="{round(now.timestamp() * 1000)}"' if now else ""
    return SafeString(
        f'<div id="seq-{account_pk}" class="seq" data-seq="{seq}"{flags}{clock}'
        f"{OOB if oob else ''}></div>"
    )


def render_sections(view: BoardView) -> str:
    """The full state of a view: what a browser gets on connect and after a gap.

    Each sequence number is read before the rows, so the rows are at least that new; a
    change the browser then receives again is harmless (every fragment is a whole tile).
    """
    parts = []
    for account in view.accounts:
        account.refresh_from_db()
        parts.append(_partial("account-section", {**view.section(account), "oob": True}))
        parts.append(seq_marker(account.pk, account.seq, timezone.now(), full=True, oob=True))
    return "".join(parts)


def render_agent_tiles(agents: Iterable[Agent]) -> str:
    words = Words.current()
    return "".join(agent_tile(a, oob=True, words=words) for a in with_calls(agents))


# What a queue tile shows (the ``queue-tile`` partial) besides the agent counts, which are a
# fragment of their own.
TILE_FIGURES = frozenset(
    ("name", "number", "calls_waiting", "longest_wait_since", "service_level_pct")
)
COUNTS = frozenset(("agents_ready", "agents_busy", "agents_paused"))


@dataclass
class Update:
    """One stored change, loaded once and rendered once per language (``render``)."""

    account: ProviderAccount
    seq: int
    status_changed: bool = False
    resync: bool = False
    members_changed: bool = False
    queue_tiles: list[Queue] = field(default_factory=list)
    count_lines: list[Queue] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        account: ProviderAccount,
        seq: int,
        changes: StoredChanges | None,
        status_changed: bool,
    ) -> Update:
        """Only what the change touched. A queue whose only change is its agent counts (an
        agent changed status) gets its count line, one whose shown figures did not change
        (only the day's totals or averages did) nothing, any other its whole tile.

        When queues or agents appear or disappear each page must rebuild its own selection,
        so the message only says so (``data-resync``) and every browser fetches its state.
        """
        update = cls(account, seq, status_changed)
        if changes is None:
            return update
        update.members_changed = changes.memberships_changed
        agents = {a.pk: a for a in changes.agents}
        if missing := changes.call_agent_pks - agents.keys():
            agents.update((a.pk, a) for a in Agent.objects.filter(pk__in=missing))
        update.agents = with_calls(agents.values())
        if changes.layout_changed:
            update.resync = True
            return update
        queues = {q.pk: q for q in changes.queues}
        if missing := changes.waiting_queue_pks - queues.keys():
            queues.update((q.pk, q) for q in Queue.objects.filter(pk__in=missing))
        for queue in queues.values():
            changed = changes.queue_changes.get(queue.pk)
            if changed is None or queue.pk in changes.waiting_queue_pks or changed & TILE_FIGURES:
                update.queue_tiles.append(queue)
            elif changed & COUNTS:
                update.count_lines.append(queue)
        with_callers(update.queue_tiles)
        return update

    def render(self) -> tuple[str, dict[int, SafeString]]:
        """The message for the account's group in the active language, and each changed
        agent's tile (for the agent's own panel)."""
        words = Words.current()
        tiles = {a.pk: agent_tile(a, oob=True, words=words) for a in self.agents}
        marker = seq_marker(self.account.pk, self.seq, timezone.now(), resync=self.resync, oob=True)
        if self.resync:
            return marker + self._members(), tiles
        parts = []
        if self.status_changed:
            parts.append(_partial("account-status", {"account": self.account, "oob": True}))
        if self.queue_tiles:
            parts.append(_partial("queue-tiles", {"queues": self.queue_tiles, "oob": True}))
        parts.extend(queue_counts(q, oob=True, words=words) for q in self.count_lines)
        parts.extend(tiles.values())
        parts.append(marker)
        parts.append(self._members())
        return "".join(parts), tiles

    def _members(self) -> str:
        if not self.members_changed:
            return ""
        context = {"account": self.account, "seq": self.seq, "oob": True}
        return _partial("members-marker", context)
