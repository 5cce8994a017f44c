"""The leaderboard widget's figures (ADR 027): read from history at most once a minute per
account (``REFRESH_S``, in the cache, as ``forecast.planned``), pushed when they change."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from wallboard.monitoring.models import ProviderAccount
from wallboard.reports.leaderboard import Leader, leaders

REFRESH_S = 60
# The agents a leaderboard shows.
SHOWN = 10


@dataclass(frozen=True, slots=True)
class Standings:
    """An account's agents by calls today; ``rows`` None where the vendor reports no calls
    per agent."""

    rows: tuple[Leader, ...] | None

    def of(self, agent_pks: frozenset[int] | None) -> Standings:
        """The standings among some agents (a board of some queues shows their members)."""
        if agent_pks is None or self.rows is None:
            return self
        return Standings(tuple(r for r in self.rows if r.agent_pk in agent_pks))

    def top(self) -> list[Leader]:
        return list(self.rows or ())[:SHOWN]


def _key(account_pk: int) -> str:
    return f"wallboard.leaders.{account_pk}"


def standings(account: ProviderAccount) -> Standings:
    """The account's standings, read from history if the cached ones are a minute old."""
    found: Standings | None = cache.get(_key(account.pk))
    if found is not None:
        return found
    rows = leaders(account, timezone.now())
    found = Standings(None if rows is None else tuple(rows))
    cache.set(_key(account.pk), found, REFRESH_S)
    return found


def changed_standings(account: ProviderAccount) -> Standings | None:
    """The standings, if they differ from those the account's screens were last sent (by
    any process): what a poll pushes, at most once a minute."""
    current = standings(account)
    sent_key = f"{_key(account.pk)}.sent"
    if cache.get(sent_key) == current:
        return None
    cache.set(sent_key, current, None)
    return current
