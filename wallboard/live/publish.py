"""Turn a stored change into the messages the browsers watching it receive."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from wallboard.accounts.models import AgentLink
from wallboard.dashboards.fragments import BOARD, render_agent_tiles, render_changes
from wallboard.live.push import account_group, agent_group, send_to_group
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.monitoring.store import StoredChanges


def publish_account(
    account_pk: int, seq: int, changes: StoredChanges | None, status_changed: bool
) -> None:
    account = ProviderAccount.objects.get(pk=account_pk)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            html = render_changes(account, seq, changes, status_changed)
            if changes is not None and changes.memberships_changed:
                context = {"account": account, "seq": seq, "oob": True}
                html += render_to_string(f"{BOARD}#members-marker", context)
        send_to_group(
            account_group(account_pk, language),
            {"type": "board.update", "account": account_pk, "seq": seq, "html": html},
        )
    if changes is not None and changes.agents:
        _publish_own_tiles(changes.agents)


def _publish_own_tiles(agents: list[Agent]) -> None:
    """Agents linked to a user also get their own tile on their panel."""
    linked = set(AgentLink.objects.filter(agent__in=agents).values_list("agent_id", flat=True))
    for agent in agents:
        if agent.pk not in linked:
            continue
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                html = render_agent_tiles([agent])
            send_to_group(agent_group(agent.pk, language), {"type": "board.update", "html": html})
