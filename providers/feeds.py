"""Vendor change feeds: an input beside the poll (DESIGN §2, ADR 019).

A feed tells of changes as the vendor makes them, instead of waiting for the next poll. It
covers a part of the state (Daktela's RTUserState long-poll: agents), so the poll still
runs, reconciles, and stands in while the feed is down. Every feed has the same shape, so
the product drives Daktela's long-poll today and an Asterisk event stream or Daktela v6's
``appPullData`` tomorrow with the same code::

    feed = provider.agent_feed(["hajek", "novak"])   # None: this account has no feed
    feed.start()
    while running:
        batch = feed.next_changes(timeout_s=1.0)      # waits for a change, at most that long
        store(batch.agents); say(batch.live)
    feed.close()

Whoever drives a feed calls ``next_changes`` from one thread; the feed's own threads (if
any) only queue what they read.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Protocol

from .model import Agent


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """What a feed read since the last ``next_changes``: each agent's latest reading (one
    per agent, in the order they changed) and whether the feed delivers now."""

    agents: tuple[Agent, ...]
    live: bool


class Feed(Protocol):
    """One account's change feed."""

    def start(self) -> None:
        """Begin reading from the vendor (in the background; returns at once)."""

    def next_changes(self, timeout_s: float) -> FeedBatch:
        """The changes read since the last call, waiting up to ``timeout_s`` for one."""

    def close(self) -> None:
        """Stop reading; nothing is queued after this returns."""


class AgentChanges:
    """A thread-safe mailbox between a feed's reading threads and its driver: ``put`` each
    changed agent, ``take`` the latest reading of every agent that changed, at once."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Agent] = queue.SimpleQueue()

    def put(self, agent: Agent) -> None:
        self._queue.put(agent)

    def take(self, timeout_s: float) -> tuple[Agent, ...]:
        try:
            first = (
                self._queue.get(timeout=timeout_s) if timeout_s > 0 else self._queue.get_nowait()
            )
        except queue.Empty:
            return ()
        latest = {first.id: first}
        while True:
            try:
                agent = self._queue.get_nowait()
            except queue.Empty:
                break
            latest.pop(agent.id, None)  # re-inserted last: the order they changed in
            latest[agent.id] = agent
        return tuple(latest.values())
