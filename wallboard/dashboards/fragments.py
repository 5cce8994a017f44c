"""Render board fragments: the same template partials serve the page, the full state sent
on connect, and the pushed changes. Rendered once per change, never once per browser."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from wallboard.monitoring.models import Agent, ProviderAccount, Queue, WaitingCall
from wallboard.monitoring.store import StoredChanges

BOARD = "dashboards/board.html"


def _partial(name: str, context: dict[str, Any]) -> str:
    return render_to_string(f"{BOARD}#{name}", context)


def waiting_calls(account: ProviderAccount) -> QuerySet[WaitingCall]:
    return (
        WaitingCall.objects.filter(queue__account=account)
        .select_related("queue")
        .order_by("waiting_since", "queue__name", "position")
    )


def section_context(account: ProviderAccount) -> dict[str, Any]:
    return {
        "account": account,
        "queues": list(Queue.objects.filter(account=account)),
        "agents": list(Agent.objects.filter(account=account)),
        "waiting_calls": list(waiting_calls(account)),
    }


def _seq_marker(account: ProviderAccount, seq: int, *, full: bool) -> str:
    context = {"account": account, "seq": seq, "full": full, "oob": True, "now": timezone.now()}
    return _partial("seq-marker", context)


def render_sections(accounts: Iterable[ProviderAccount]) -> str:
    """The full state of each account: what a browser gets on connect and after a gap.

    The sequence number is read before the rows, so the rows are at least that new; a
    change the browser then receives again is harmless (every fragment is a whole tile).
    """
    parts = []
    for account in accounts:
        seq = ProviderAccount.objects.values_list("seq", flat=True).get(pk=account.pk)
        parts.append(_partial("account-section", {**section_context(account), "oob": True}))
        parts.append(_seq_marker(account, seq, full=True))
    return "".join(parts)


def render_changes(
    account: ProviderAccount, seq: int, changes: StoredChanges | None, status_changed: bool
) -> str:
    """Only the fragments a stored change touched, each with ``hx-swap-oob``."""
    parts = []
    if changes is not None and changes.layout_changed:
        parts.append(_partial("account-section", {**section_context(account), "oob": True}))
    else:
        if status_changed:
            parts.append(_partial("account-status", {"account": account, "oob": True}))
        if changes is not None:
            parts.extend(_partial("queue-tile", {"queue": q, "oob": True}) for q in changes.queues)
            parts.extend(_partial("agent-tile", {"agent": a, "oob": True}) for a in changes.agents)
            if changes.waiting_changed:
                context = {"account": account, "waiting_calls": waiting_calls(account)}
                parts.append(_partial("waiting-list", {**context, "oob": True}))
    parts.append(_seq_marker(account, seq, full=False))
    return "".join(parts)
