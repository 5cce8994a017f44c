"""Instant agent changes for Daktela: one RTUserState long-poll per agent (DESIGN §4).

RTUserState called with the ``hash`` of an agent's last state holds the request until that
state changes, or 60 s pass. ``AgentWatcher`` keeps one such request open per watched agent,
each on its own daemon thread, and calls ``on_change(agent)`` with the new ``Agent`` when the
agent differs from the one last seen. It is opt-in per account (``instant_agents``) and is
not wired into the poller: whoever runs it decides what a change triggers. ::

    watcher = provider.watch_agents(["hajek", "novak"], on_change=handle_agent)
    watcher.start()
    ...
    watcher.stop()

What it guarantees:

- Bounded: at most ``max_agents`` threads (never more than ``MAX_AGENTS``), each with one
  request at a time, read timeout ``LONG_POLL_TIMEOUT_S``. After an error a thread waits
  (``retry_s`` doubling up to ``max_retry_s``) before asking again; a reply that comes back
  at once with the hash unchanged (a server that does not hold requests) is not followed by
  another sooner than ``min_interval_s``.
- Nothing is raised into a thread's void: errors from Daktela and from the callbacks are
  counted (``error_count``, ``last_errors``) and handed to ``on_error(login, error)`` when
  given (``login`` is None for the account-wide GetPauses). One log line when an agent's
  watch starts failing and one when it recovers, not one per failure.
- Callbacks run on the watcher's threads one at a time (a lock serialises them), so they
  must be quick but need not guard against each other; none runs once ``stop()`` returns.
- The first reading of each agent is its baseline (in ``agents``) and calls nothing. A change
  is a different ``Agent`` (status, pause, since …); a new hash alone (a call's details, a
  queue option) is not one.
- ``stop()`` ends the back-off waits at once. A long-poll already at Daktela cannot be
  cancelled: its thread ends when that request returns (within the vendor's 60 s);
  ``stop(timeout_s)`` waits that long at most and says whether every thread has ended.

GetPauses is read once at the start (so a wrap pause shows as WRAP_UP, as in the poll) and
again, at most every ``PAUSES_REFRESH_S``, when an agent pauses on a pause id not yet known.

An agent who is not logged in makes RTUserState answer with an error (the manual documents
the method for logged-in users only): that agent's thread reports it and retries with
back-off, and the agent's next reading after logging in is reported as a change. Logging
out itself shows on the regular poll (the watcher adds speed, not coverage).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..base import AgentRef
from ..errors import ProviderError
from ..model import Agent

if TYPE_CHECKING:
    from .adapter import DaktelaProvider

logger = logging.getLogger(__name__)

#: Hard cap on agents per watcher: each holds one connection (httpx pools 100 per client).
MAX_AGENTS = 100
#: How often at most GetPauses is read again for an unknown pause id.
PAUSES_REFRESH_S = 300.0

OnChange = Callable[[Agent], None]
OnError = Callable[[str | None, Exception], None]


class AgentWatcher:
    """One RTUserState long-poll per agent login; ``on_change(agent)`` on each change."""

    def __init__(
        self,
        provider: DaktelaProvider,
        logins: Sequence[str],
        on_change: OnChange,
        *,
        on_error: OnError | None = None,
        max_agents: int = 50,
        retry_s: float = 2.0,
        max_retry_s: float = 15.0,
        min_interval_s: float = 1.0,
    ) -> None:
        unique = list(dict.fromkeys(login.strip() for login in logins if login.strip()))
        if not 1 <= max_agents <= MAX_AGENTS:
            raise ValueError(f"max_agents must be between 1 and {MAX_AGENTS}.")
        if len(unique) > max_agents:
            raise ValueError(
                f"{len(unique)} agents to watch; this watcher allows {max_agents} at most."
            )
        if retry_s <= 0 or max_retry_s < retry_s or min_interval_s < 0:
            raise ValueError("retry_s, max_retry_s and min_interval_s must be sensible.")
        # A provider of its own: closing the caller's (the poller's) one does not stop us.
        self._provider = type(provider)(provider.config)
        self.logins: tuple[str, ...] = tuple(unique)
        self._on_change = on_change
        self._on_error = on_error
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s
        self._min_interval_s = min_interval_s
        self._stopping = threading.Event()
        self._callback_lock = threading.RLock()  # RLock: a callback may call stop()
        self._state_lock = threading.Lock()
        self._pauses_lock = threading.Lock()
        self._pauses_due_at: float | None = None  # monotonic; None: never read
        self._threads: list[threading.Thread] = []
        self._alive = 0
        self._agents: dict[str, Agent] = {}
        self._last_errors: dict[str | None, Exception] = {}
        self._error_count = 0
        self._change_count = 0

    def __repr__(self) -> str:
        return f"<AgentWatcher {len(self.logins)} agents of {self._provider!r}>"

    def __enter__(self) -> AgentWatcher:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ public

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    @property
    def agents(self) -> dict[str, Agent]:
        """The last ``Agent`` read for each login (absent until its first reading)."""
        with self._state_lock:
            return dict(self._agents)

    @property
    def error_count(self) -> int:
        with self._state_lock:
            return self._error_count

    @property
    def change_count(self) -> int:
        with self._state_lock:
            return self._change_count

    @property
    def last_errors(self) -> dict[str | None, Exception]:
        """The error each login (None: GetPauses) is failing with now; empty when all is well."""
        with self._state_lock:
            return dict(self._last_errors)

    def start(self) -> AgentWatcher:
        if self._threads:
            raise RuntimeError("This AgentWatcher was already started; make a new one.")
        self._alive = len(self.logins)
        for login in self.logins:
            thread = threading.Thread(
                target=self._watch, args=(login,), name=f"daktela-watch-{login}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, timeout_s: float = 0.0) -> bool:
        """Stop watching; no callback runs after this returns. True if all threads ended.

        With ``timeout_s`` it waits up to that long for requests still at Daktela.
        """
        self._stopping.set()
        with self._callback_lock:  # a callback running now finishes before we return
            pass
        deadline = time.monotonic() + timeout_s
        me = threading.current_thread()
        for thread in self._threads:
            if thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads if thread is not me)

    # ------------------------------------------------------------------ threads

    def _watch(self, login: str) -> None:
        try:
            self._watch_agent(login)
        finally:
            with self._state_lock:
                self._alive -= 1
                last = self._alive == 0
            if last:  # the last thread out closes the connections
                self._provider.close()

    def _watch_agent(self, login: str) -> None:
        """One agent's loop; every exception is caught and reported, none escapes."""
        agent_ref = AgentRef(id=login, login=login)
        previous_hash: str | None = None
        failures = 0
        self._read_pauses(None)
        while not self._stopping.is_set():
            asked_at = time.monotonic()
            try:
                state = self._provider.user_state(agent_ref, previous_hash=previous_hash)
                if len(state.agents) != 1:
                    raise ProviderError(f"Daktela's RTUserState for {login} names no agent.")
            except Exception as err:  # reported, then retried after a wait
                failures += 1
                previous_hash = None
                self._failed(login, err)
                delay = min(self._max_retry_s, self._retry_s * 2 ** min(failures - 1, 16))
                self._stopping.wait(delay)
                continue
            if failures:
                failures = 0
                self._recovered(login)
            agent = state.agents[0]
            if agent.pause_reason_id and agent.pause_reason is None:
                self._read_pauses(agent.pause_reason_id)
            unchanged_hash = state.hash is not None and state.hash == previous_hash
            self._seen(login, agent)
            previous_hash = state.hash
            if state.hash is None or unchanged_hash:
                # No hash (an API without long-poll) or an answer at once without a change:
                # this server is not holding requests, so do not hammer it.
                rest = self._min_interval_s - (time.monotonic() - asked_at)
                if rest > 0:
                    self._stopping.wait(rest)

    def _seen(self, login: str, agent: Agent) -> None:
        with self._state_lock:
            before = self._agents.get(login)
            self._agents[login] = agent
            if before is None or before == agent:
                return
            self._change_count += 1
        with self._callback_lock:
            if self._stopping.is_set():
                return
            try:
                self._on_change(agent)
            except Exception as err:  # the caller's bug must not end the watch
                self._count(login, err)
                logger.exception("Daktela agent watcher: on_change failed for %s", login)

    def _read_pauses(self, unknown_pause_id: str | None) -> None:
        """GetPauses once at the start, then only for an unknown pause id (rate limited)."""
        with self._pauses_lock:
            now = time.monotonic()
            if self._pauses_due_at is not None and (
                unknown_pause_id is None or now < self._pauses_due_at
            ):
                return
            try:
                self._provider.pause_reasons()
            except Exception as err:  # agents still show as PAUSED without it
                self._pauses_due_at = now + self._max_retry_s
                self._failed(None, err)
            else:
                self._pauses_due_at = now + PAUSES_REFRESH_S
                self._recovered(None)

    # ------------------------------------------------------------------ errors

    def _count(self, login: str | None, err: Exception) -> bool:
        """Count an error; True if ``login`` was not failing before."""
        with self._state_lock:
            self._error_count += 1
            first = login not in self._last_errors
            self._last_errors[login] = err
            return first

    def _failed(self, login: str | None, err: Exception) -> None:
        if self._stopping.is_set():
            return
        if self._count(login, err):
            what = login or "pause list"
            if isinstance(err, ProviderError):
                logger.warning("Daktela agent watcher: %s is failing: %s", what, err)
            else:
                logger.error("Daktela agent watcher: %s is failing", what, exc_info=err)
        if self._on_error is not None:
            with self._callback_lock:
                if self._stopping.is_set():
                    return
                try:
                    self._on_error(login, err)
                except Exception:  # nothing left to report it to but the log
                    logger.exception("Daktela agent watcher: on_error failed")

    def _recovered(self, login: str | None) -> None:
        with self._state_lock:
            was_failing = self._last_errors.pop(login, None) is not None
        if was_failing:
            logger.info("Daktela agent watcher: %s recovered", login or "pause list")
