"""Daktela's RTUserState long-poll (``watch.AgentWatcher``) as a vendor-neutral ``Feed``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..feeds import AgentChanges, FeedBatch

if TYPE_CHECKING:
    from .adapter import DaktelaProvider


class AgentFeed:
    """One long-poll per agent login; live while at least one agent is read successfully.

    An agent who is not logged in makes RTUserState fail (``watch.py``); that agent alone is
    not the feed failing, so the feed is down only when no watched agent answers.
    """

    def __init__(self, provider: DaktelaProvider, logins: Sequence[str]) -> None:
        self._changes = AgentChanges()
        self._watcher = provider.watch_agents(logins, self._changes.put, max_agents=len(logins))

    def __repr__(self) -> str:
        return f"<AgentFeed {self._watcher!r}>"

    @property
    def logins(self) -> tuple[str, ...]:
        return self._watcher.logins

    @property
    def live(self) -> bool:
        read, failing = self._watcher.agents, self._watcher.last_errors
        return self._watcher.running and any(
            login in read and login not in failing for login in self._watcher.logins
        )

    def start(self) -> None:
        self._watcher.start()

    def next_changes(self, timeout_s: float) -> FeedBatch:
        agents = self._changes.take(timeout_s)
        return FeedBatch(agents, self.live)

    def close(self) -> None:
        self._watcher.stop()
