"""Erlang C: how many agents a queue needs, and how long its callers wait (issue 11 §6).

The model: calls arrive at random (Poisson) at ``arrivals_per_s``, each keeps an agent for
an exponential time around ``handle_s`` (talk plus wrap-up), callers wait as long as it
takes (no abandonment) and are answered in order. ``Workload.erlangs`` = arrivals * handle
time is the traffic in Erlangs: the agents the calls would keep busy on average.

Computed through the Erlang B recursion ``B(n) = A·B(n-1) / (n + A·B(n-1))``, which stays
in [0, 1] at every step, so neither ``A**n`` nor ``n!`` is ever formed and 10,000 Erlangs
are as exact as 10. Probabilities and service levels are fractions in [0, 1].

Where there is no traffic or no handle time (or more than ``MAX_ERLANGS``) the figures
are undefined (None): the board shows a dash rather than a reassuring 100 %. With no more
agents than Erlangs, the queue grows without end: every caller waits (probability 1,
service level 0, an infinite average wait).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: More traffic than any contact centre carries: a vendor's counter gone wrong. The figures
#: are then undefined, rather than an hour spent counting a billion agents.
MAX_ERLANGS = 1_000_000.0


@dataclass(frozen=True, slots=True)
class Workload:
    """The calls offered to one queue: how often they come, how long each keeps an agent."""

    arrivals_per_s: float
    handle_s: float

    @classmethod
    def observed(cls, calls: int, window_s: float, handle_s: float) -> Workload:
        """``calls`` arrived over ``window_s`` seconds (e.g. the last 15 minutes)."""
        return cls(calls / window_s if window_s > 0 else 0.0, handle_s)

    @property
    def defined(self) -> bool:
        """There is traffic, and a believable amount of it."""
        return (
            self.arrivals_per_s > 0
            and self.handle_s > 0
            and self.arrivals_per_s * self.handle_s <= MAX_ERLANGS
        )

    @property
    def erlangs(self) -> float:
        return self.arrivals_per_s * self.handle_s if self.defined else 0.0


def erlang_b(erlangs: float, agents: int) -> float:
    """Erlang B: the share of calls that would find every agent busy (if none could wait)."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = erlangs * blocking / (n + erlangs * blocking)
    return blocking


def _erlang_c(erlangs: float, agents: int, blocking: float) -> float:
    if agents <= erlangs:
        return 1.0
    return agents * blocking / (agents - erlangs * (1.0 - blocking))


def probability_of_waiting(workload: Workload, agents: int) -> float | None:
    """Erlang C: the share of callers who wait at all before an agent answers."""
    if not workload.defined:
        return None
    erlangs = workload.erlangs
    return _erlang_c(erlangs, agents, erlang_b(erlangs, agents))


def _service_level(workload: Workload, agents: int, threshold_s: float, waiting: float) -> float:
    if agents <= workload.erlangs:
        return 0.0
    spare = agents - workload.erlangs
    return max(0.0, 1.0 - waiting * math.exp(-spare * threshold_s / workload.handle_s))


def _check_threshold(threshold_s: float) -> None:
    if not threshold_s >= 0:  # NaN too
        raise ValueError(f"a service-level threshold is a number of seconds ≥ 0, not {threshold_s}")


def service_level(workload: Workload, agents: int, threshold_s: float) -> float | None:
    """The share of callers answered within ``threshold_s`` seconds ("80 % in 20 s")."""
    _check_threshold(threshold_s)
    waiting = probability_of_waiting(workload, agents)
    if waiting is None:
        return None
    return _service_level(workload, agents, threshold_s, waiting)


def average_wait_s(workload: Workload, agents: int) -> float | None:
    """The expected wait over all callers (ASA), those answered at once included."""
    waiting = probability_of_waiting(workload, agents)
    if waiting is None:
        return None
    if agents <= workload.erlangs:
        return math.inf
    return waiting * workload.handle_s / (agents - workload.erlangs)


def wait_behind(handle_s: float, agents: int, callers_ahead: int) -> float:
    """The expected wait of a caller who arrives now to find every one of ``agents`` busy and
    ``callers_ahead`` callers already waiting: the same model conditioned on what the queue
    holds now. Completions come at ``agents / handle_s`` per second, and the caller is
    answered at the ``callers_ahead + 1``-th. The steady-state average (``average_wait_s``)
    knows nothing of a backlog, and reads a few seconds while callers have waited minutes."""
    if agents <= 0:
        return math.inf
    return (callers_ahead + 1) * handle_s / agents


def agents_needed(workload: Workload, target: float, threshold_s: float) -> int | None:
    """The fewest agents that answer ``target`` (a fraction, 0 < target < 1) of the callers
    within ``threshold_s`` seconds; always more agents than Erlangs."""
    if not 0.0 < target < 1.0:
        raise ValueError(f"a service-level target is a fraction between 0 and 1, not {target}")
    _check_threshold(threshold_s)
    if not workload.defined:
        return None
    erlangs = workload.erlangs
    agents = math.floor(erlangs) + 1
    blocking = erlang_b(erlangs, agents)
    # The service level rises to 1 as agents are added, so this ends for any target < 1.
    while (
        _service_level(workload, agents, threshold_s, _erlang_c(erlangs, agents, blocking)) < target
    ):
        agents += 1
        blocking = erlangs * blocking / (agents + erlangs * blocking)
    return agents
