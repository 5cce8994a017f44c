"""What one page shows: its accounts and queues (``BoardView``), with the rows each tile
needs loaded in bulk (the callers of a queue, the call of an agent)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from wallboard.dashboards.alerts import levels_for
from wallboard.dashboards.forecast import with_forecasts
from wallboard.dashboards.leaders import SHOWN, Standings, standings
from wallboard.dashboards.models import AgentGrid, Board, Widget, default_widgets
from wallboard.monitoring.ids import parse_ids
from wallboard.monitoring.models import ActiveCall, Agent, ProviderAccount, Queue, WaitingCall


@dataclass(frozen=True)
class BoardView:
    """What one page shows: some accounts, optionally only some of their queues."""

    accounts: list[ProviderAccount]
    queue_ids: frozenset[int] | None = None
    board: Board | None = None

    @classmethod
    def for_request(
        cls,
        visible: QuerySet[ProviderAccount],
        query: dict[str, list[str]],
        scope_queues: frozenset[int] | None = None,
    ) -> BoardView:
        """Filter by ``?account=`` and ``?queue=`` (ids), never beyond what is visible: the
        ``visible`` accounts and, for a person scoped to some queues, ``scope_queues``
        (``accounts.access.Scope.queue_ids``). Text that is no id is ignored."""
        accounts = visible
        wanted = parse_ids(query.get("account", []))
        if wanted:
            accounts = accounts.filter(pk__in=wanted)
        queue_ids = parse_ids(query.get("queue", []))
        if not queue_ids and scope_queues is None:
            return cls(accounts=list(accounts))
        queues = Queue.objects.filter(account__in=accounts)
        if queue_ids:
            queues = queues.filter(pk__in=queue_ids)
        if scope_queues is not None:
            queues = queues.filter(pk__in=scope_queues)
        return cls(
            accounts=list(accounts),
            queue_ids=frozenset(queues.values_list("pk", flat=True)),
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
            "queues": with_forecasts(with_callers(queues)),
            "agents": with_calls(agents),
            "widgets": default_widgets(),
            "agent_grid": AgentGrid.ALL.value,
        }
        if self.board is not None:
            section["widgets"] = self.board.shown_widgets()
            if Widget.CALLERS in section["widgets"]:
                section["caller_list"] = listed(waiting_calls(section["queues"]), CALLERS_LISTED)
            if Widget.LEADERS in section["widgets"]:
                agent_pks = None
                if self.queue_ids is not None:
                    agent_pks = frozenset(a.pk for a in section["agents"])
                section["leaders"] = leader_rows(standings(account).of(agent_pks))
            section["agent_grid"] = self.board.agent_grid
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
# The rows of the waiting-caller list: always as many, blank ones too, so that a caller who
# comes or goes never changes its height on the wall (ADR 015).
CALLERS_LISTED = 12


def with_callers(queues: Iterable[Queue]) -> list[Queue]:
    """Queues with ``callers``: their longest-waiting callers, for the tile; and
    ``waiting``: all of them, for the waiting-caller list."""
    rows = list(queues)
    if not rows:  # an agent's change: no statement to build
        return rows
    callers: dict[int, list[WaitingCall]] = {q.pk: [] for q in rows}
    for call in WaitingCall.objects.filter(queue__in=rows).order_by("queue_id", "position"):
        callers[call.queue_id].append(call)
    for queue in rows:
        queue.waiting = callers[queue.pk]  # type: ignore[attr-defined]
        queue.callers = callers[queue.pk][:CALLERS_SHOWN]  # type: ignore[attr-defined]
    return rows


def waiting_calls(queues: Iterable[Queue]) -> list[WaitingCall]:
    """Every caller waiting in these queues (``with_callers`` done), longest first; a caller
    whose vendor gives no waiting time after those it does, in queue order."""
    calls = []
    for queue in queues:
        for call in queue.waiting:  # type: ignore[attr-defined]
            call.queue = queue  # the list names it: no query per row
            calls.append(call)
    far = datetime.max.replace(tzinfo=UTC)
    calls.sort(key=lambda c: (c.waiting_since or far, c.queue.name, c.queue_id, c.position))
    return calls


@dataclass(frozen=True)
class Listed:
    """The first rows of a list, with how many there are and the blank rows that keep the
    list's height."""

    rows: list[Any]
    total: int
    blanks: range

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def listed(rows: list[Any], size: int) -> Listed:
    return Listed(rows[:size], len(rows), range(max(0, size - len(rows))))


def leader_rows(found: Standings) -> Listed | None:
    """The leaderboard's rows; None where the vendor reports no calls per agent."""
    return None if found.rows is None else listed(found.top(), SHOWN)


def widgets_on_boards(account_pk: int) -> set[str]:
    """The widgets some board of this account shows (a push renders only those)."""
    placed = Board.objects.filter(accounts=account_pk).values_list("widgets", flat=True)
    return {w for widgets in placed for w in widgets}


def with_calls(agents: Iterable[Agent], on_call: frozenset[str] | None = None) -> list[Agent]:
    """Agents with ``call``: the call they are on, if any, for the tile. ``on_call``: the
    vendor ids of the account's agents on a call, where the caller knows them (only those
    agents' calls are read)."""
    rows = list(agents)
    asked = rows if on_call is None else [a for a in rows if a.vendor_id in on_call]
    calls = (
        {c.agent_id: c for c in ActiveCall.objects.filter(agent__in=asked).select_related("queue")}
        if asked
        else {}
    )
    for agent in rows:
        agent.call = calls.get(agent.pk)  # type: ignore[attr-defined]
    return rows
