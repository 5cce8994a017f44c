"""The seam between what monitoring stores and what follows it.

``poll_once`` (and every other input that stores a change) hands one ``Committed`` to the
caller's ``CommitHook`` once the transaction has committed: nothing follows a change the
database did not keep. Monitoring imports no other app; ``wallboard.wiring`` connects the
product's hook (publish to the screens, alerts, metrics, notifications), and tests and
tools pass their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from wallboard.monitoring.current import StoredChanges

Source = Literal["poll", "feed", "action"]


@dataclass(frozen=True, slots=True)
class Committed:
    """What one committed poll did to an account."""

    account_pk: int
    vendor: str
    seq: int
    ok: bool
    duration_ms: float
    # The rows the change wrote, or None when nothing stored changed.
    changes: StoredChanges | None = None
    # The account's stale flags or error changed (the screens show them).
    status_changed: bool = False
    # Why the poll failed (``ok`` False) or which parts are stale: a readable message.
    error: str | None = None
    # The ``ProviderError`` subclass name of a failed poll, for counting by kind.
    error_kind: str | None = None
    source: Source = "poll"

    @property
    def changed(self) -> bool:
        """Something the screens show changed (else only the heartbeat is due)."""
        return self.changes is not None or self.status_changed


CommitHook = Callable[[Committed], None]


def ignore(event: Committed) -> None:
    """A hook that does nothing after the commit (a tool measuring the store alone)."""
