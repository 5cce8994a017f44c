"""A stored change (or the full state) rendered as the message the screens receive: once per
language, whoever watches it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString

from wallboard.dashboards.forecast import planned, with_forecasts
from wallboard.dashboards.html import Words, agent_tile, queue_counts, queue_forecast, seq_marker
from wallboard.dashboards.leaders import Standings, changed_standings
from wallboard.dashboards.models import Widget
from wallboard.dashboards.selection import (
    CALLERS_LISTED,
    BoardView,
    leader_rows,
    listed,
    waiting_calls,
    widgets_on_boards,
    with_callers,
    with_calls,
)
from wallboard.monitoring.current import StoredChanges
from wallboard.monitoring.models import Agent, ProviderAccount, Queue, WaitingCall

BOARD = "dashboards/board.html"


def _partial(name: str, context: dict[str, Any]) -> str:
    return get_template(f"{BOARD}#{name}").render(context)


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


# The agent counts are a fragment of their own (``queue_counts``): an agent's change sends
# only them.
COUNTS = frozenset(("agents_ready", "agents_busy", "agents_paused"))


@cache
def tile_figures() -> frozenset[str]:
    """The queue fields the ``queue-tile`` partial shows, read from the template itself, so a
    figure added to the tile is pushed when it changes."""
    # The backend's wrapper hides the partial (a template_partials TemplateProxy) and its source.
    partial: Any = get_template(f"{BOARD}#queue-tile").template  # type: ignore[attr-defined]
    source: str = partial.source
    named = set(re.findall(r"\bqueue\.(\w+)", source))
    return frozenset(f.name for f in Queue._meta.concrete_fields if f.name in named) - COUNTS


@dataclass(frozen=True, slots=True)
class Fragment:
    """One swappable piece of a message. One of a queue (``queue``) or of an agent
    (``agent``) goes only to the screens that show that queue or agent; the rest (the
    account's status, the marker) to every screen of the account."""

    html: str
    queue: int | None = None
    agent: int | None = None
    # A fragment that depends on the whole selection (a widget's list or table): how a
    # selection of queues and their members sees it.
    narrow: Callable[[frozenset[int] | None, frozenset[int] | None], str] | None = None


def compose(
    parts: Iterable[Fragment],
    queues: frozenset[int] | None = None,
    agents: frozenset[int] | None = None,
) -> str:
    """The message of the whole account, or (``queues``, ``agents``) of a selection of its
    queues and their members as a queue-scoped person or a board of some queues sees it,
    with the account's marker, so its screens see every sequence number."""
    return "".join(
        p.narrow(queues, agents) if p.narrow is not None and queues is not None else p.html
        for p in parts
        if (p.queue is None or queues is None or p.queue in queues)
        and (p.agent is None or agents is None or p.agent in agents)
    )


@dataclass
class Update:
    """One stored change, loaded once and rendered once per language (``fragments``)."""

    account: ProviderAccount
    seq: int
    status_changed: bool = False
    resync: bool = False
    members_changed: bool = False
    queue_tiles: list[Queue] = field(default_factory=list)
    count_lines: list[Queue] = field(default_factory=list)
    # The queues whose Erlang C line is sent on its own: with their counts, and all of the
    # account's when the plan was computed afresh (once a minute).
    forecast_lines: list[Queue] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    # The board widgets' fragments (ADR 027), only where a board of the account shows them:
    # the account's waiting callers when some queue's changed (None: unchanged), its summary
    # table when a queue changed (None: unchanged; ``summarised``: the queues that did), the
    # leaderboard when it changed.
    waiting: list[WaitingCall] | None = None
    summary: list[Queue] | None = None
    summarised: frozenset[int] = frozenset()
    standings: Standings | None = None

    @classmethod
    def load(
        cls,
        account: ProviderAccount,
        seq: int,
        changes: StoredChanges | None,
        status_changed: bool,
        widgets: set[str] | None = None,
    ) -> Update:
        """Only what the change touched. A queue whose only change is its agent counts (an
        agent changed status) gets its count line, one whose shown figures did not change
        (only the day's totals or averages did) nothing, any other its whole tile.

        When queues or agents appear or disappear each page must rebuild its own selection,
        so the message only says so (``data-resync``) and every browser fetches its state.

        ``widgets``: the board widgets open screens show (None: those any board of the
        account shows); only their fragments are loaded.
        """
        update = cls(account, seq, status_changed)
        if changes is None:
            return update
        update.members_changed = changes.memberships_changed
        agents = {a.pk: a for a in changes.agents}
        if missing := changes.call_agent_pks - agents.keys():
            agents.update((a.pk, a) for a in Agent.objects.filter(pk__in=missing))
        update.agents = with_calls(agents.values(), changes.on_call)
        if changes.layout_changed:
            update.resync = True
            return update
        queues = {q.pk: q for q in changes.queues}
        if missing := changes.waiting_queue_pks - queues.keys():
            queues.update((q.pk, q) for q in Queue.objects.filter(pk__in=missing))
        for queue in queues.values():
            changed = changes.queue_changes.get(queue.pk)
            if changed is None or queue.pk in changes.waiting_queue_pks or changed & tile_figures():
                update.queue_tiles.append(queue)
            elif changed & COUNTS:
                update.count_lines.append(queue)
        with_callers(update.queue_tiles)
        if queues:  # a change that touched no queue (a fed agent's) shows no forecast
            update._load_forecasts(account)
        update._load_widgets(changes, frozenset(queues), widgets)
        return update

    def _load_forecasts(self, account: ProviderAccount) -> None:
        """The changed queues' forecasts; every queue's when the plan is one no push has
        sent yet (computed again once a minute)."""
        lines = {q.pk: q for q in self.count_lines}
        plan, fresh = planned(account.pk, push=True)
        if fresh:
            tiled = {q.pk for q in self.queue_tiles}
            lines.update(
                (q.pk, q)
                for q in Queue.objects.filter(account=account)
                if q.pk not in tiled and q.pk not in lines
            )
        self.forecast_lines = list(lines.values())
        with_forecasts(self.queue_tiles + self.forecast_lines, {account.pk: plan})

    def _load_widgets(
        self, changes: StoredChanges, changed: frozenset[int], shown: set[str] | None
    ) -> None:
        if shown is None:
            shown = widgets_on_boards(self.account.pk)
        if Widget.CALLERS in shown and changes.waiting_queue_pks:
            self.waiting = waiting_calls(with_callers(Queue.objects.filter(account=self.account)))
        if Widget.SUMMARY in shown and changed:
            self.summary = list(Queue.objects.filter(account=self.account))
            self.summarised = changed
        if Widget.LEADERS in shown:
            self.standings = changed_standings(self.account)

    def fragments(self) -> tuple[list[Fragment], dict[int, SafeString]]:
        """The message's fragments in the active language, each rendered once, in the
        order the message sends them; and each changed agent's tile (for the agent's own
        panel). The whole account's message and each selection's are composed from them
        (``compose``)."""
        words = Words.current()
        tiles = {a.pk: agent_tile(a, oob=True, words=words) for a in self.agents}
        marker = seq_marker(self.account.pk, self.seq, timezone.now(), resync=self.resync, oob=True)
        parts: list[Fragment] = []
        if self.resync:
            parts.append(Fragment(marker))
            parts.append(Fragment(self._members()))
            return parts, tiles
        if self.status_changed:
            status = _partial("account-status", {"account": self.account, "oob": True})
            parts.append(Fragment(status))
        parts.extend(
            Fragment(_partial("queue-tile", {"queue": q, "oob": True}), queue=q.pk)
            for q in self.queue_tiles
        )
        parts.extend(
            Fragment(queue_counts(q, oob=True, words=words), queue=q.pk) for q in self.count_lines
        )
        parts.extend(
            Fragment(queue_forecast(q, oob=True, words=words), queue=q.pk)
            for q in self.forecast_lines
        )
        parts.extend(Fragment(html, agent=pk) for pk, html in tiles.items())
        parts.extend(self._widgets())
        parts.append(Fragment(marker))
        parts.append(Fragment(self._members()))
        return parts, tiles

    def render(self) -> tuple[str, dict[int, SafeString]]:
        """The message for the account's group in the active language, and each changed
        agent's tile."""
        parts, tiles = self.fragments()
        return compose(parts), tiles

    def _widgets(self) -> list[Fragment]:
        """The widgets' fragments: each a whole list or table, rendered once for the whole
        account and once for each selection of its queues some screen watches."""
        parts = []
        if self.waiting is not None:
            parts.append(Fragment(self._caller_list(None, None), narrow=self._caller_list))
        if self.summary is not None:
            parts.append(Fragment(self._summary(None, None), narrow=self._summary))
        if self.standings is not None:
            parts.append(Fragment(self._leaders(None, None), narrow=self._leaders))
        return parts

    def _caller_list(self, queues: frozenset[int] | None, _agents: frozenset[int] | None) -> str:
        calls = self.waiting or []
        if queues is not None:
            calls = [c for c in calls if c.queue_id in queues]
        context = {"account": self.account, "oob": True}
        return _partial("caller-list", {**context, "caller_list": listed(calls, CALLERS_LISTED)})

    def _summary(self, queues: frozenset[int] | None, _agents: frozenset[int] | None) -> str:
        rows = self.summary or []
        if queues is not None:
            if not self.summarised & queues:
                return ""  # none of the selection's queues changed
            rows = [q for q in rows if q.pk in queues]
        return _partial("queue-summary", {"account": self.account, "oob": True, "queues": rows})

    def _leaders(self, _queues: frozenset[int] | None, agents: frozenset[int] | None) -> str:
        standings = self.standings
        if standings is None:
            return ""
        if agents is not None:
            standings = standings.of(agents)
        context = {"account": self.account, "oob": True, "leaders": leader_rows(standings)}
        return _partial("leaderboard", context)

    def _members(self) -> str:
        if not self.members_changed:
            return ""
        context = {"account": self.account, "seq": self.seq, "oob": True}
        return _partial("members-marker", context)
