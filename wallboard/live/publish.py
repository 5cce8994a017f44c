"""Turn a stored change into the messages the browsers watching it receive."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone, translation

from wallboard.accounts.models import AgentLink, Profile, Role
from wallboard.dashboards.alerts import alert_marker
from wallboard.dashboards.html import seq_marker
from wallboard.dashboards.models import Alert, Board
from wallboard.dashboards.updates import Update
from wallboard.live.push import (
    account_group,
    agent_group,
    board_group,
    selection_group,
    send_to_group,
)
from wallboard.monitoring.current import StoredChanges
from wallboard.monitoring.models import Membership, ProviderAccount


def selections(account_pk: int) -> dict[frozenset[int], frozenset[int]]:
    """The selections of this account's queues that some screen watches, each with the
    agents it shows (the members of its queues): the queues of each queue-scoped
    supervisor or viewer, and of each board showing only some queues."""
    chosen: dict[tuple[str, int], set[int]] = {}
    scoped = Profile.queues.through.objects.filter(
        queue__account_id=account_pk,
        profile__accounts=account_pk,
        profile__role__in=[Role.SUPERVISOR, Role.VIEWER],
    )
    for profile_pk, queue_pk in scoped.values_list("profile_id", "queue_id"):
        chosen.setdefault(("profile", profile_pk), set()).add(queue_pk)
    shown = Board.queues.through.objects.filter(
        queue__account_id=account_pk, board__accounts=account_pk
    )
    for board_pk, queue_pk in shown.values_list("board_id", "queue_id"):
        chosen.setdefault(("board", board_pk), set()).add(queue_pk)
    if not chosen:
        return {}
    members: dict[int, set[int]] = {}
    queue_pks = set().union(*chosen.values())
    for queue_pk, agent_pk in Membership.objects.filter(queue_id__in=queue_pks).values_list(
        "queue_id", "agent_id"
    ):
        members.setdefault(queue_pk, set()).add(agent_pk)
    return {
        frozenset(queues): frozenset().union(*(members.get(q, set()) for q in queues))
        for queues in chosen.values()
    }


def _message(account_pk: int, seq: int, html: str) -> dict[str, object]:
    return {"type": "board.update", "account": account_pk, "seq": seq, "html": html}


def publish_account(
    account_pk: int, seq: int, changes: StoredChanges | None, status_changed: bool
) -> None:
    """One message per language to the account's group, and to each selection of its
    queues that some screen watches, narrowed to it; agents linked to a user also get their
    own tile on their panel."""
    _last_sent[account_pk] = time.monotonic()
    account = ProviderAccount.objects.get(pk=account_pk)
    update = Update.load(account, seq, changes, status_changed)
    narrowed = [
        (queues, update.narrowed(queues, agents))
        for queues, agents in selections(account_pk).items()
    ]
    linked: set[int] = set()
    if update.agents:
        linked = set(
            AgentLink.objects.filter(agent__in=update.agents).values_list("agent_id", flat=True)
        )
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            html, tiles = update.render()
            seen = [(queues, part.render()[0]) for queues, part in narrowed]
        send_to_group(account_group(account_pk, language), _message(account_pk, seq, html))
        for queues, part_html in seen:
            send_to_group(
                selection_group(account_pk, queues, language), _message(account_pk, seq, part_html)
            )
        for agent_pk in linked:
            send_to_group(
                agent_group(agent_pk, language), {"type": "board.update", "html": tiles[agent_pk]}
            )


# When each account last sent its screens something, in this process.
_last_sent: dict[int, float] = {}


def publish_heartbeat(account_pk: int, seq: int) -> None:
    """A poll that changed nothing: at most every ``LIVE_HEARTBEAT_S``, the account's marker
    alone, so a screen can tell a quiet call center from a frozen pipeline (Redis down, no
    worker polling), and a screen that missed a change finds the gap."""
    now = time.monotonic()
    if now - _last_sent.get(account_pk, -settings.LIVE_HEARTBEAT_S) < settings.LIVE_HEARTBEAT_S:
        return
    _last_sent[account_pk] = now
    html = seq_marker(account_pk, seq, timezone.now(), beat=True, oob=True)
    watched = list(selections(account_pk))
    for language, _name in settings.LANGUAGES:
        send_to_group(account_group(account_pk, language), _message(account_pk, seq, html))
        for queues in watched:
            send_to_group(
                selection_group(account_pk, queues, language), _message(account_pk, seq, html)
            )


def publish_alerts(changed: dict[int, list[Alert]]) -> None:
    """The alert levels that changed, to each board's screens."""
    for board_pk, alerts in changed.items():
        html = "".join(alert_marker(a) for a in alerts)
        send_to_group(board_group(board_pk), {"type": "board.update", "html": html})
