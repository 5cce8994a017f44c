"""Board alerts, evaluated on the server after every poll, so every screen agrees.

A level rises at once and falls only after the lower level has held for the cool-down
(``ALERT_COOLDOWN_S``), so a queue hovering around a limit does not flap. Levels are stored
(``Alert``) only when they or their pending change move; the levels that changed are pushed
(``wallboard.live.publish.publish_alerts``) to the board's group as tiny markers next to the
(shared) queue tiles.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from wallboard.dashboards.models import Alert, Board, Level, QueueThreshold
from wallboard.monitoring.models import ProviderAccount, Queue

BOARD = "dashboards/board.html"


@dataclass(frozen=True)
class Limits:
    waiting_warn: int | None = None
    waiting_alarm: int | None = None
    longest_wait_warn_s: int | None = None
    longest_wait_alarm_s: int | None = None
    sla_warn_pct: float | None = None
    sla_alarm_pct: float | None = None
    ready_warn: int | None = None
    ready_alarm: int | None = None

    @classmethod
    def of(cls, board: Board, override: QueueThreshold | None = None) -> Limits:
        """A queue's own limit, else what its targets imply (``from_targets``), else the
        board's."""
        implied = from_targets(override) if override is not None else {}
        values: dict[str, Any] = {}
        for f in fields(cls):
            own = getattr(override, f.name, None) if override is not None else None
            if own is None:
                own = implied.get(f.name)
            values[f.name] = own if own is not None else getattr(board, f.name)
        return cls(**values)


# Below its SLA target a queue warns; this many points further below, it is in alarm.
SLA_ALARM_POINTS = 10.0
# A caller waiting this share of the queue's maximum wait warns; the maximum is the alarm.
WAIT_WARN_SHARE = 0.5


def from_targets(targets: QueueThreshold) -> dict[str, float | int]:
    """The limits a queue's targets (board editor) imply."""
    implied: dict[str, float | int] = {}
    if targets.sla_target_pct is not None:
        implied["sla_warn_pct"] = targets.sla_target_pct
        implied["sla_alarm_pct"] = max(0.0, targets.sla_target_pct - SLA_ALARM_POINTS)
    if targets.max_wait_s is not None:
        implied["longest_wait_alarm_s"] = targets.max_wait_s
        implied["longest_wait_warn_s"] = max(1, round(targets.max_wait_s * WAIT_WARN_SHARE))
    return implied


def _over(value: float | None, warn: float | None, alarm: float | None) -> Level:
    if value is None:
        return Level.OK
    if alarm is not None and value >= alarm:
        return Level.ALARM
    if warn is not None and value >= warn:
        return Level.WARN
    return Level.OK


def _under(value: float | None, warn: float | None, alarm: float | None) -> Level:
    if value is None:
        return Level.OK
    if alarm is not None and value < alarm:
        return Level.ALARM
    if warn is not None and value < warn:
        return Level.WARN
    return Level.OK


def queue_level(queue: Queue, limits: Limits, now: datetime) -> Level:
    longest = (now - queue.longest_wait_since).total_seconds() if queue.longest_wait_since else 0
    return Level(
        max(
            _over(queue.calls_waiting, limits.waiting_warn, limits.waiting_alarm),
            _over(longest, limits.longest_wait_warn_s, limits.longest_wait_alarm_s),
            _under(queue.service_level_pct, limits.sla_warn_pct, limits.sla_alarm_pct),
            _under(queue.agents_ready, limits.ready_warn, limits.ready_alarm),
        )
    )


def settle(alert: Alert, observed: Level, now: datetime, cooldown: timedelta) -> bool:
    """Move ``alert`` towards ``observed``; True when the shown level changed."""
    if observed >= alert.level:
        changed = observed > alert.level
        if changed:
            alert.level, alert.since = observed, now
        alert.pending_level = alert.pending_since = None
        return changed
    if alert.pending_level != observed:
        alert.pending_level, alert.pending_since = observed, now
        return False
    assert alert.pending_since is not None
    if now - alert.pending_since < cooldown:
        return False
    alert.level, alert.since = observed, now
    alert.pending_level = alert.pending_since = None
    return True


def alert_marker(alert: Alert) -> str:
    """The marker a board's screens read a level from (the tile styles follow it)."""
    where = f"q{alert.queue_id}" if alert.queue_id else f"a{alert.account_id}"
    context = {
        "level_id": f"level-{alert.board_id}-{where}",
        "level": alert.level,
        "account_wide": alert.queue_id is None,
        "oob": True,
    }
    return render_to_string(f"{BOARD}#level-marker", context)


def evaluate_account(account_pk: int, now: datetime | None = None) -> dict[int, list[Alert]]:
    """Re-evaluate every board showing this account; store and return, by board, the
    alerts whose shown level changed."""
    now = now or timezone.now()
    cooldown = timedelta(seconds=settings.ALERT_COOLDOWN_S)
    boards = list(Board.objects.filter(accounts=account_pk).prefetch_related("queues"))
    if not boards:
        return {}
    account = ProviderAccount.objects.get(pk=account_pk)
    queues = list(Queue.objects.filter(account=account))
    overrides = {
        (t.board_id, t.queue_id): t
        for t in QueueThreshold.objects.filter(board__in=boards, queue__in=queues)
    }
    existing = {(a.board_id, a.queue_id): a for a in Alert.objects.filter(account=account)}
    changed: dict[int, list[Alert]] = {}
    for board in boards:
        shown = {q.pk for q in board.queues.all()}
        slots: list[tuple[Queue | None, Level]] = [
            (q, queue_level(q, Limits.of(board, overrides.get((board.pk, q.pk))), now))
            for q in queues
            if not shown or q.pk in shown
        ]
        slots.append((None, Level.ALARM if account.stale else Level.OK))
        for queue, observed in slots:
            key = (board.pk, queue.pk if queue else None)
            alert = existing.get(key) or Alert(board=board, account=account, queue=queue)
            before = (alert.pk, alert.level, alert.pending_level, alert.pending_since)
            if settle(alert, observed, now, cooldown):
                changed.setdefault(board.pk, []).append(alert)
            if (alert.pk, alert.level, alert.pending_level, alert.pending_since) != before:
                alert.save()
    return changed


def levels_for(board: Board, account: ProviderAccount) -> dict[int | None, int]:
    """The levels a board shows now, for its first render (queue pk, or None: the account)."""
    return dict(Alert.objects.filter(board=board, account=account).values_list("queue_id", "level"))
