"""Turn a stored change into the messages the browsers watching it receive."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone, translation

from wallboard.accounts.models import AgentLink, Profile, Role
from wallboard.dashboards.alerts import alert_marker
from wallboard.dashboards.html import seq_marker
from wallboard.dashboards.models import Alert, Board
from wallboard.dashboards.updates import Update, compose
from wallboard.live import presence
from wallboard.live.presence import Screens
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
    return with_members({frozenset(queues) for queues in chosen.values()})


def with_members(
    selections: Iterable[frozenset[int]], agent_pks: Iterable[int] | None = None
) -> dict[frozenset[int], frozenset[int]]:
    """Each selection of queues with the agents it shows (the members of its queues), of
    ``agent_pks`` alone where given."""
    chosen = list(selections)
    if not chosen:
        return {}
    found = Membership.objects.filter(queue_id__in=set().union(*chosen))
    if agent_pks is not None:
        found = found.filter(agent_id__in=list(agent_pks))
    members: dict[int, set[int]] = {}
    for queue_pk, agent_pk in found.values_list("queue_id", "agent_id"):
        members.setdefault(queue_pk, set()).add(agent_pk)
    return {
        queues: frozenset().union(*(members.get(q, set()) for q in queues)) for queues in chosen
    }


def everyone(account_pk: int, agent_pks: Iterable[int]) -> Screens:
    """Every group the account's changes may have screens in, from what is stored: when
    what screens watch cannot be read (``presence.screens``), each is rendered for."""
    languages = {language for language, _name in settings.LANGUAGES}
    linked = AgentLink.objects.filter(agent__in=list(agent_pks)).values_list("agent_id", flat=True)
    return Screens(
        account=set(languages),
        selections={queues: set(languages) for queues in selections(account_pk)},
        agents={agent_pk: set(languages) for agent_pk in linked},
    )


def _account(
    account_pk: int, changes: StoredChanges | None, status_changed: bool
) -> ProviderAccount:
    """The account's row where a fragment shows it (its status, its members' marker); else
    the account by its key alone, what an agent's or a queue's change needs (any other
    field is read from the database when first used)."""
    if status_changed or (changes is not None and changes.memberships_changed):
        return ProviderAccount.objects.get(pk=account_pk)
    return ProviderAccount.from_db(None, ["id"], [account_pk])


def _message(account_pk: int, seq: int, html: str) -> dict[str, object]:
    return {"type": "board.update", "account": account_pk, "seq": seq, "html": html}


def publish_account(
    account_pk: int, seq: int, changes: StoredChanges | None, status_changed: bool
) -> None:
    """One message per language some screen of the account watches, to the account's
    group, and to each watched selection of its queues, narrowed to it; a watched agent's
    panel gets the agent's own tile. Each fragment is rendered once per language; nothing
    is rendered for a language no screen shows (ADR 031)."""
    _last_sent[account_pk] = time.monotonic()
    watching = presence.screens(account_pk)
    if watching is not None and not watching.languages():
        return
    account = _account(account_pk, changes, status_changed)
    # The widgets the open screens show; where that cannot be read, every board's.
    widgets = None if watching is None else watching.widgets
    update = Update.load(account, seq, changes, status_changed, widgets)
    agent_pks = [a.pk for a in update.agents]
    if watching is None:
        watching = everyone(account_pk, agent_pks)
    members = with_members(watching.selections, agent_pks) if agent_pks else {}
    for language, _name in settings.LANGUAGES:
        if language not in watching.languages():
            continue
        with translation.override(language):
            parts, tiles = update.fragments()
        if language in watching.account:
            send_to_group(
                account_group(account_pk, language), _message(account_pk, seq, compose(parts))
            )
        for queues, languages in watching.selections.items():
            if language in languages:
                html = compose(parts, queues, members.get(queues, frozenset()))
                send_to_group(
                    selection_group(account_pk, queues, language), _message(account_pk, seq, html)
                )
        for agent_pk, languages in watching.agents.items():
            if language in languages and agent_pk in tiles:
                send_to_group(
                    agent_group(agent_pk, language),
                    {"type": "board.update", "html": tiles[agent_pk]},
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
