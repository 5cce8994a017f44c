"""From the alert levels a poll changed to the deliveries they call for.

``evaluate_account`` already applies the TV's cool-down: it returns an alert only when the
level a board *shows* changes. Each shown level above OK belongs to an episode that lasts
until the board shows OK again; a rule hears of each level of an episode once (the first
time it is reached: a warning, then an alarm), and of its end ("recovered") when it heard of
the episode. A level that falls back (alarm → warning) or rises again to a level already
reached tells no one anything new. The stale-account alert (no queue) reports "stale".

One delivery per rule and transition (a unique key), so handing the same change in twice
queues nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from wallboard.dashboards.models import Alert, Level
from wallboard.notifications.models import Delivery, Episode, Event, Rule


def _rising_event(alert: Alert) -> Event:
    if alert.queue_id is None:
        return Event.STALE
    return Event.ALARM if alert.level == Level.ALARM else Event.WARNING


def transition(alert: Alert) -> tuple[Episode, Event] | None:
    """Move the alert's episode along its new shown level; the event to tell, if any."""
    episode = Episode.objects.filter(alert=alert, closed_at=None).first()
    if alert.level == Level.OK:
        if episode is None:
            return None
        episode.closed_at = alert.since
        episode.save(update_fields=["closed_at"])
        return episode, Event.RECOVERED
    if episode is None:
        episode = Episode.objects.create(alert=alert, opened_at=alert.since, peak=alert.level)
        return episode, _rising_event(alert)
    if alert.level <= episode.peak:
        return None
    episode.peak = alert.level
    episode.save(update_fields=["peak"])
    return episode, _rising_event(alert)


def _covers(rule: Rule, alert: Alert) -> bool:
    """Does the rule's optional queue selection take in this alert?"""
    queues = list(rule.queues.all())
    if not queues:
        return True
    if alert.queue_id is None:
        return alert.account_id in {q.account_id for q in queues}
    return alert.queue_id in {q.pk for q in queues}


def _wants(rule: Rule, episode: Episode, event: Event) -> bool:
    if not rule.listens_to(event):
        return False
    if event is not Event.RECOVERED or not rule.rising_events:
        return True
    # Recovered: only for an episode this rule was told about.
    return Delivery.objects.filter(rule=rule, episode=episode).exclude(event=event).exists()


def facts(alert: Alert, event: Event) -> dict[str, Any]:
    """What a message says about the transition, as plain JSON (frozen in the delivery)."""
    account, queue = alert.account, alert.queue
    described: dict[str, Any] = {
        "event": event.value,
        "level": Level(alert.level).name,
        "at": alert.since.isoformat(),
        "board": {"id": alert.board_id, "name": alert.board.name},
        "account": {
            "id": account.pk,
            "name": account.name,
            "provider": account.vendor,
            "stale": account.stale,
            "error": account.last_error or None,
        },
        "queue": None,
    }
    if queue is not None:
        longest = (
            max(0, int((alert.since - queue.longest_wait_since).total_seconds()))
            if queue.longest_wait_since
            else None
        )
        described["queue"] = {
            "id": queue.vendor_id,
            "name": queue.name,
            "calls_waiting": queue.calls_waiting,
            "longest_wait_s": longest,
            "service_level_pct": queue.service_level_pct,
            "agents_ready": queue.agents_ready,
        }
    return described


def queue_deliveries(alerts: Iterable[Alert]) -> list[Delivery]:
    """Move each changed alert's episode on and queue a delivery for every rule that wants
    to hear of the transition; the deliveries created (none twice)."""
    created: list[Delivery] = []
    with transaction.atomic():
        for alert in alerts:
            moved = transition(alert)
            if moved is None:
                continue
            episode, event = moved
            rules = Rule.objects.filter(board_id=alert.board_id, enabled=True)
            for rule in rules.prefetch_related("queues"):
                if not (_covers(rule, alert) and _wants(rule, episode, event)):
                    continue
                delivery, new = Delivery.objects.get_or_create(
                    rule=rule,
                    episode=episode,
                    event=event,
                    defaults={
                        "board_id": alert.board_id,
                        "rule_name": rule.name,
                        "channel": rule.channel,
                        "destination": rule.destination()[:500],
                        "facts": facts(alert, event),
                        "next_attempt_at": alert.since,
                    },
                )
                if new:
                    created.append(delivery)
    return created
