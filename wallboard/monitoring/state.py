"""The state JSON of DESIGN §9 (``manage.py dump_state`` and ``/api/v1/accounts/<id>/state``).

Field names are a contract: add fields freely, never rename these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from wallboard.monitoring.models import (
    ActiveCall,
    Agent,
    Membership,
    ProviderAccount,
    Queue,
    WaitingCall,
)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds_since(value: datetime | None, now: datetime) -> int | None:
    return None if value is None else max(0, int((now - value).total_seconds()))


def state_json(account: ProviderAccount, selection: frozenset[int] | None = None) -> dict[str, Any]:
    """The account's state; with ``selection`` (queue pks), only what a selection of those
    queues shows (ADR 016): those queues, their members with only those memberships, their
    waiting callers, and the calls of those members or through those queues, each call
    whole (its agent and queue named whoever they are)."""
    now = timezone.now()
    queues = Queue.objects.filter(account=account).order_by("vendor_id")
    agents = Agent.objects.filter(account=account).order_by("vendor_id")
    memberships_shown = Membership.objects.filter(agent__account=account)
    waiting = WaitingCall.objects.filter(queue__account=account)
    calls = ActiveCall.objects.filter(account=account)
    call_queue_ids = dict(queues.values_list("pk", "vendor_id"))
    call_agent_ids = dict(agents.values_list("pk", "vendor_id"))
    if selection is not None:
        queues = queues.filter(pk__in=selection)
        agents = agents.filter(memberships__queue_id__in=selection).distinct()
        memberships_shown = memberships_shown.filter(queue_id__in=selection)
        waiting = waiting.filter(queue_id__in=selection)
        calls = calls.filter(Q(agent__in=agents) | Q(queue_id__in=selection)).distinct()
    queue_ids = {q.pk: q.vendor_id for q in queues}
    memberships: dict[int, list[Membership]] = {}
    for ms in memberships_shown.order_by("queue__vendor_id"):
        memberships.setdefault(ms.agent_id, []).append(ms)
    return {
        "account": {
            "id": account.pk,
            "provider": account.vendor,
            "name": account.name,
            "stale": account.stale,
            "stale_parts": account.stale_parts,
            "last_success_at": _iso(account.last_success_at),
            "error": account.last_error or None,
        },
        "queues": [
            {
                "id": q.vendor_id,
                "number": q.number or None,
                "name": q.name,
                "calls_waiting": q.calls_waiting,
                "longest_wait_s": (
                    0 if q.calls_waiting == 0 else _seconds_since(q.longest_wait_since, now)
                ),
                "agents_total": q.agents_total,
                "agents_ready": q.agents_ready,
                "agents_busy": q.agents_busy,
                "agents_paused": q.agents_paused,
                "answered": q.answered,
                "abandoned": q.abandoned,
                "service_level_pct": q.service_level_pct,
                "sl_threshold_s": q.sl_threshold_s,
                "avg_wait_s": q.avg_wait_s,
                "avg_talk_s": q.avg_talk_s,
                "capacity": q.capacity,
            }
            for q in queues
        ],
        "agents": [
            {
                "id": a.vendor_id,
                "login": a.login,
                "name": a.name,
                "extension": a.extension or None,
                "status": a.status,
                "raw_status": a.raw_status,
                "status_since": _iso(a.status_since),
                "pause_reason": a.pause_reason or None,
                "queues": [queue_ids[ms.queue_id] for ms in memberships.get(a.pk, [])],
                "memberships": [
                    {
                        "queue": queue_ids[ms.queue_id],
                        "penalty": ms.penalty,
                        "static": ms.static,
                        "logged_in": ms.logged_in,
                    }
                    for ms in memberships.get(a.pk, [])
                ],
            }
            for a in agents
        ],
        "waiting_calls": [
            {
                "queue": queue_ids[w.queue_id],
                "position": w.position,
                "caller": w.caller,
                "caller_name": w.caller_name or None,
                "wait_s": _seconds_since(w.waiting_since, now),
            }
            for w in waiting.order_by("queue__vendor_id", "position")
        ],
        "active_calls": [
            {
                "id": c.call_id,
                "agent": call_agent_ids.get(c.agent_id) if c.agent_id else None,
                "queue": call_queue_ids.get(c.queue_id) if c.queue_id else None,
                "direction": c.direction or None,
                "number": c.number,
                "state": c.state,
                "since": _iso(c.since),
            }
            for c in calls.order_by("call_id")
        ],
    }
