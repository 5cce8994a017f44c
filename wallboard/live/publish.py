"""Turn a stored change into the message every browser watching the account receives."""

from __future__ import annotations

from wallboard.dashboards.fragments import render_changes
from wallboard.live.push import account_group, send_to_group
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.store import StoredChanges


def publish_account(
    account_pk: int, seq: int, changes: StoredChanges | None, status_changed: bool
) -> None:
    account = ProviderAccount.objects.get(pk=account_pk)
    html = render_changes(account, seq, changes, status_changed)
    send_to_group(
        account_group(account_pk),
        {"type": "board.update", "account": account_pk, "seq": seq, "html": html},
    )
