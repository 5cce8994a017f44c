"""Turn a stored change into the messages the browsers watching it receive."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone, translation

from wallboard.accounts.models import AgentLink
from wallboard.dashboards.alerts import alert_marker
from wallboard.dashboards.html import seq_marker
from wallboard.dashboards.models import Alert
from wallboard.dashboards.updates import Update
from wallboard.live.push import account_group, agent_group, board_group, send_to_group
from wallboard.monitoring.current import StoredChanges
from wallboard.monitoring.models import ProviderAccount


def publish_account(
    account_pk: int, seq: int, changes: StoredChanges | None, status_changed: bool
) -> None:
    """One message per language to the account's group; agents linked to a user also get
    their own tile on their panel."""
    _last_sent[account_pk] = time.monotonic()
    account = ProviderAccount.objects.get(pk=account_pk)
    update = Update.load(account, seq, changes, status_changed)
    linked: set[int] = set()
    if update.agents:
        linked = set(
            AgentLink.objects.filter(agent__in=update.agents).values_list("agent_id", flat=True)
        )
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            html, tiles = update.render()
        send_to_group(
            account_group(account_pk, language),
            {"type": "board.update", "account": account_pk, "seq": seq, "html": html},
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
    for language, _name in settings.LANGUAGES:
        send_to_group(
            account_group(account_pk, language),
            {"type": "board.update", "account": account_pk, "seq": seq, "html": html},
        )


def publish_alerts(changed: dict[int, list[Alert]]) -> None:
    """The alert levels that changed, to each board's screens."""
    for board_pk, alerts in changed.items():
        html = "".join(alert_marker(a) for a in alerts)
        send_to_group(board_group(board_pk), {"type": "board.update", "html": html})
