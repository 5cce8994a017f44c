"""Render board fragments. The same template partials serve the pages, the full state sent
on connect, and the pushed changes; a change is rendered once, whoever watches it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from wallboard.dashboards.alerts import levels_for
from wallboard.dashboards.models import Board
from wallboard.monitoring.models import ActiveCall, Agent, ProviderAccount, Queue, WaitingCall
from wallboard.monitoring.store import StoredChanges

BOARD = "dashboards/board.html"


def _partial(name: str, context: dict[str, Any]) -> str:
    return render_to_string(f"{BOARD}#{name}", context)


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


def _seq_marker(account: ProviderAccount, seq: int, **flags: bool) -> str:
    context = {"account": account, "seq": seq, "oob": True, "now": timezone.now(), **flags}
    return _partial("seq-marker", context)


def render_sections(view: BoardView) -> str:
    """The full state of a view: what a browser gets on connect and after a gap.

    Each sequence number is read before the rows, so the rows are at least that new; a
    change the browser then receives again is harmless (every fragment is a whole tile).
    """
    parts = []
    for account in view.accounts:
        account.refresh_from_db()
        parts.append(_partial("account-section", {**view.section(account), "oob": True}))
        parts.append(_seq_marker(account, account.seq, full=True))
    return "".join(parts)


def render_agent_tiles(agents: Iterable[Agent]) -> str:
    return "".join(_partial("agent-tile", {"agent": a, "oob": True}) for a in with_calls(agents))


def render_changes(
    account: ProviderAccount, seq: int, changes: StoredChanges | None, status_changed: bool
) -> str:
    """Only the fragments a stored change touched, each with ``hx-swap-oob``.

    When queues or agents appear or disappear each page must rebuild its own selection, so
    the message only says so (``data-resync``) and every browser fetches its full state.
    """
    if changes is not None and changes.layout_changed:
        return _seq_marker(account, seq, resync=True)
    parts = []
    if status_changed:
        parts.append(_partial("account-status", {"account": account, "oob": True}))
    if changes is not None:
        queues = {q.pk: q for q in changes.queues}
        missing = changes.waiting_queue_pks - queues.keys()
        queues.update((q.pk, q) for q in Queue.objects.filter(pk__in=missing))
        parts.extend(
            _partial("queue-tile", {"queue": q, "oob": True}) for q in with_callers(queues.values())
        )
        agents = {a.pk: a for a in changes.agents}
        missing = changes.call_agent_pks - agents.keys()
        agents.update((a.pk, a) for a in Agent.objects.filter(pk__in=missing))
        parts.append(render_agent_tiles(agents.values()))
    parts.append(_seq_marker(account, seq))
    return "".join(parts)
