"""What of the audit log a person may read (ADR 016): the page and the API ask the same."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from wallboard.accounts.access import Scope
from wallboard.actions.models import AuditEntry
from wallboard.monitoring.models import Agent, Queue


def entries_in_scope(scope: Scope) -> QuerySet[AuditEntry]:
    """The entries on the accounts a person sees; for a person scoped to some queues, only
    their own and those whose target names an agent or a queue in scope (the words of
    ``access.Target.describe``: ``agent <id> …``, ``queue <id> …``, ``to queue <id> …``)."""
    entries = AuditEntry.objects.filter(account__in=scope.accounts())
    if scope.queue_ids is None:
        return entries
    agents = Agent.objects.filter(pk__in=scope.agent_ids or ()).values_list("vendor_id", flat=True)
    queues = Queue.objects.filter(pk__in=scope.queue_ids).values_list("vendor_id", flat=True)
    named = [f"agent {re.escape(v)} " for v in agents] + [f"queue {re.escape(v)} " for v in queues]
    pattern = rf"(^|, )(to )?({'|'.join(named)})" if named else None
    mine = Q(user_id=scope.user_id)
    return entries.filter(mine | Q(target__regex=pattern) if pattern else mine)
