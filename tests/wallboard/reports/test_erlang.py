"""Erlang C against the textbook case, and the properties any staffing figure must keep."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wallboard.reports.erlang import (
    MAX_ERLANGS,
    Workload,
    agents_needed,
    average_wait_s,
    erlang_b,
    probability_of_waiting,
    service_level,
    wait_behind,
)

# "10 Erlangs and 11 agents wait with probability 0.682; with a 180 s handle time and a 20 s
# threshold, 13 agents give 79.6 % and 14 give 88.8 % — so '80 % in 20 s' needs 14 agents"
# (issue 11 §6): 10 Erlangs of 180 s calls are 200 calls an hour.
TEXTBOOK = Workload(arrivals_per_s=200 / 3600, handle_s=180)


def test_the_textbook_case() -> None:
    assert TEXTBOOK.erlangs == pytest.approx(10.0)
    assert probability_of_waiting(TEXTBOOK, 11) == pytest.approx(0.682, abs=5e-4)
    assert service_level(TEXTBOOK, 13, 20) == pytest.approx(0.796, abs=5e-4)
    assert service_level(TEXTBOOK, 14, 20) == pytest.approx(0.888, abs=5e-4)
    assert agents_needed(TEXTBOOK, 0.80, 20) == 14


def test_average_wait_of_the_textbook_case() -> None:
    # ASA = C * AHT / (N - A): 14 agents, P(wait) 0.1741, so 0.1741 * 180 / 4 = 7.8 s.
    waiting = probability_of_waiting(TEXTBOOK, 14)
    assert waiting is not None
    assert average_wait_s(TEXTBOOK, 14) == pytest.approx(waiting * 180 / 4)
    assert average_wait_s(TEXTBOOK, 14) == pytest.approx(7.84, abs=0.01)


def test_a_caller_behind_a_backlog_waits_for_it_to_clear() -> None:
    # 12 agents all busy on 180 s calls finish one every 15 s: with 5 callers ahead, the
    # sixth completion answers the new caller.
    assert wait_behind(180, 12, 5) == pytest.approx(90.0)
    assert wait_behind(180, 12, 0) == pytest.approx(15.0)
    assert wait_behind(180, 0, 3) == math.inf


@given(
    st.floats(min_value=1, max_value=3600),
    st.integers(min_value=1, max_value=500),
    st.integers(min_value=0, max_value=500),
)
def test_more_callers_ahead_never_mean_a_shorter_wait(
    handle_s: float, agents: int, ahead: int
) -> None:
    assert wait_behind(handle_s, agents, ahead + 1) > wait_behind(handle_s, agents, ahead)
    assert wait_behind(handle_s, agents + 1, ahead) < wait_behind(handle_s, agents, ahead)


def test_erlang_b_by_hand() -> None:
    # B(1, A) = A / (1 + A); B(2, A) = A²/2 / (1 + A + A²/2).
    assert erlang_b(2.0, 1) == pytest.approx(2 / 3)
    assert erlang_b(2.0, 2) == pytest.approx(2 / 5)
    assert erlang_b(3.0, 0) == 1.0


def test_observed_workload_from_a_window_of_history() -> None:
    # 50 calls in the last 15 minutes at 180 s each: 10 Erlangs again.
    observed = Workload.observed(calls=50, window_s=900, handle_s=180)
    assert observed.erlangs == pytest.approx(10.0)
    assert agents_needed(observed, 0.8, 20) == 14
    assert not Workload.observed(calls=5, window_s=0, handle_s=180).defined


def test_no_more_agents_than_erlangs_means_everyone_waits_for_ever() -> None:
    assert probability_of_waiting(TEXTBOOK, 10) == 1.0
    assert probability_of_waiting(TEXTBOOK, 3) == 1.0
    assert service_level(TEXTBOOK, 10, 20) == 0.0
    assert average_wait_s(TEXTBOOK, 9) == math.inf


def test_large_centres_stay_exact_without_overflow() -> None:
    # 5,000 Erlangs: n! and A**n overflow floats long before this; the recursion does not.
    big = Workload(arrivals_per_s=5000 / 180, handle_s=180)
    needed = agents_needed(big, 0.8, 20)
    assert needed is not None
    assert 5000 < needed < 5100
    level = service_level(big, needed, 20)
    assert level is not None
    assert level >= 0.8
    before = service_level(big, needed - 1, 20)
    assert before is not None
    assert before < 0.8


@pytest.mark.parametrize(
    "workload",
    [
        Workload(0, 180),
        Workload(200 / 3600, 0),
        Workload(-1, 180),
        Workload(200 / 3600, -5),
        Workload(math.nan, 180),
        Workload(200 / 3600, math.inf),
        Workload(MAX_ERLANGS, 2),
    ],
    ids=["no-calls", "no-handle-time", "negative-rate", "negative-handle", "nan", "inf", "absurd"],
)
def test_no_traffic_or_no_handle_time_is_undefined(workload: Workload) -> None:
    assert not workload.defined
    assert probability_of_waiting(workload, 5) is None
    assert service_level(workload, 5, 20) is None
    assert average_wait_s(workload, 5) is None
    assert agents_needed(workload, 0.8, 20) is None


@pytest.mark.parametrize("target", [0, 1, 1.5, -0.2, math.nan])
def test_a_target_must_be_a_fraction(target: float) -> None:
    with pytest.raises(ValueError, match="fraction"):
        agents_needed(TEXTBOOK, target, 20)


@pytest.mark.parametrize("threshold", [-1, math.nan])
def test_a_threshold_must_be_seconds(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        agents_needed(TEXTBOOK, 0.8, threshold)
    with pytest.raises(ValueError, match="threshold"):
        service_level(TEXTBOOK, 14, threshold)


# ---------------------------------------------------------------- properties

calls_per_hour = st.floats(min_value=0.1, max_value=5000)
handle_times = st.floats(min_value=1, max_value=1800)
agent_counts = st.integers(min_value=0, max_value=400)
thresholds = st.floats(min_value=0, max_value=600)
targets = st.floats(min_value=0.01, max_value=0.99)


def _workload(per_hour: float, handle_s: float) -> Workload:
    return Workload(per_hour / 3600, handle_s)


@given(calls_per_hour, handle_times, agent_counts, thresholds)
def test_probabilities_are_probabilities(
    per_hour: float, handle_s: float, agents: int, threshold_s: float
) -> None:
    workload = _workload(per_hour, handle_s)
    waiting = probability_of_waiting(workload, agents)
    level = service_level(workload, agents, threshold_s)
    assert waiting is not None
    assert level is not None
    assert 0.0 <= erlang_b(workload.erlangs, agents) <= 1.0
    assert 0.0 <= waiting <= 1.0
    assert 0.0 <= level <= 1.0
    # Waiting at all is at least as likely as waiting past the threshold.
    assert 1.0 - level <= waiting + 1e-12
    wait = average_wait_s(workload, agents)
    assert wait is not None
    assert wait >= 0.0


@given(calls_per_hour, handle_times, agent_counts, thresholds)
def test_more_agents_never_lower_the_service_level(
    per_hour: float, handle_s: float, agents: int, threshold_s: float
) -> None:
    workload = _workload(per_hour, handle_s)
    fewer = service_level(workload, agents, threshold_s)
    more = service_level(workload, agents + 1, threshold_s)
    assert fewer is not None
    assert more is not None
    assert more >= fewer - 1e-12
    fewer_wait = average_wait_s(workload, agents)
    more_wait = average_wait_s(workload, agents + 1)
    assert fewer_wait is not None
    assert more_wait is not None
    assert more_wait <= fewer_wait


@given(calls_per_hour, handle_times, targets, thresholds)
def test_agents_needed_is_the_fewest_that_reach_the_target(
    per_hour: float, handle_s: float, target: float, threshold_s: float
) -> None:
    workload = _workload(per_hour, handle_s)
    needed = agents_needed(workload, target, threshold_s)
    assert needed is not None
    assert needed > workload.erlangs
    reached = service_level(workload, needed, threshold_s)
    assert reached is not None
    assert reached >= target
    below = service_level(workload, needed - 1, threshold_s)
    assert below is not None
    assert below < target or needed - 1 <= workload.erlangs
