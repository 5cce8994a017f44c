"""Whatever Daktela (or something pretending to be it) sends, parsers raise only
``ProviderError`` subclasses or return valid model objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.daktela import parse
from providers.errors import ProviderError
from providers.model import (
    ActiveCall,
    Agent,
    AgentStatus,
    Membership,
    PauseReason,
    PauseType,
    Queue,
    WaitingCall,
)
from tests.providers.daktela.fake_daktela import load

PRAGUE = ZoneInfo("Europe/Prague")
NOW = datetime(2026, 11, 22, 8, 0, 2, tzinfo=ZoneInfo("UTC"))

PARSERS: dict[str, Callable[[bytes], object]] = {
    "GetQueues": parse.parse_get_queues,
    "RTStatsQueues": parse.parse_rt_stats_queues,
    "GetPauses": parse.parse_get_pauses,
    "RTUsersState": lambda body: parse.parse_rt_users_state(body, PRAGUE),
    "RTUserState": lambda body: parse.parse_rt_user_state(body, PRAGUE),
    "RTStatsCalls": lambda body: parse.parse_rt_stats_calls(body, PRAGUE, NOW),
    "DeviceStates": parse.parse_device_states,
    "action": parse.parse_action,
}

FIXTURE_FOR = {
    "GetQueues": "GetQueues_3.0_single.json",
    "RTStatsQueues": "RTStatsQueues_3.5.json",
    "GetPauses": "GetPauses_3.0.json",
    "RTUsersState": "RTUsersState_4.1.json",
    "RTUserState": "RTUserState_3.9.json",
    "RTStatsCalls": "RTStatsCalls_3.5.json",
    "DeviceStates": "DeviceStates_3.1.json",
    "action": "Monitoring_3.1.json",
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        ["1", "0", "Paused", "Waiting", "Speaking", "On Hold", "2012-03-21 13:44:02",
         "0000-00-00 00:00:00", "w", "wrap", "in", "out", "UNAVAILABLE"]
    )
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(
        st.sampled_from(
            ["status", "error", "result", "queue", "id", "name", "title", "agent_state",
             "id_agent", "calls", "login_oqueues", "state", "users", "pause", "pcode_id",
             "rt_logged", "penalty", "deleted", "calls_time", "exten", "id_call", "1", "2"]
        )
        | st.text(max_size=8),
        children,
        max_size=6,
    ),
    max_leaves=40,
)  # fmt: skip


def envelope(result: Any) -> bytes:
    return json.dumps({"status": 1, "error": None, "result": result}).encode()


def check_model(value: object) -> None:
    """The value is made of model objects with the right types."""
    if isinstance(value, list | tuple):
        for item in value:
            check_model(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            check_model(item)
    elif isinstance(value, parse.UsersState):
        for part in (value.agents, value.memberships, value.active_calls, value.queues):
            check_model(part)
        assert value.hash is None or isinstance(value.hash, str)
    elif isinstance(value, parse.CallsState):
        check_model(value.waiting_calls)
        check_model(value.active_calls)
        positions = [(w.queue_id, w.position) for w in value.waiting_calls]
        assert len(positions) == len(set(positions))
    elif isinstance(value, Agent):
        assert isinstance(value.id, str)
        assert value.id
        assert isinstance(value.status, AgentStatus)
        assert isinstance(value.raw_status, str)
        assert value.status_since is None or value.status_since.utcoffset() == timedelta(0)
    elif isinstance(value, Queue):
        assert isinstance(value.id, str)
        assert value.id
        assert isinstance(value.name, str)
    elif isinstance(value, parse.QueueStats):
        for number in (value.calls_waiting, value.longest_wait_s, value.agents_total):
            assert number is None or (isinstance(number, int) and number >= 0)
    elif isinstance(value, PauseReason):
        assert isinstance(value.id, str)
        assert value.id
        assert isinstance(value.type, PauseType)
    elif isinstance(value, Membership):
        assert isinstance(value.queue_id, str)
        assert isinstance(value.logged_in, bool)
    elif isinstance(value, WaitingCall):
        assert value.position >= 1
        assert isinstance(value.caller, str)
    elif isinstance(value, ActiveCall):
        assert isinstance(value.call_id, str)
        assert isinstance(value.state, AgentStatus)
        assert value.since is None or value.since.utcoffset() == timedelta(0)
    else:
        # parse_action returns the vendor's result as is; everything else is a model object
        assert value is None or isinstance(value, str | int | float | bool)


def run_all(body: bytes) -> None:
    for name, parser in PARSERS.items():
        try:
            result = parser(body)
        except ProviderError:
            continue
        if name != "action":
            check_model(result)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes(body: bytes) -> None:
    run_all(body)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_replies(value: Any) -> None:
    run_all(json.dumps(value).encode())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_results_in_a_valid_envelope(value: Any) -> None:
    run_all(envelope(value))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a JSON value (so a mutation can target any of them)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found.extend(_paths(item, (*prefix, index)))
    return found


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(PARSERS)))
    reply = json.loads(load(FIXTURE_FOR[name]))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(reply)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = reply
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]  # drop a key
        else:
            parent[path[-1]] = draw(json_values)  # change its type or value
    return name, json.dumps(reply).encode()


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fixtures())
def test_mutated_fixtures(case: tuple[str, bytes]) -> None:
    name, body = case
    try:
        result = PARSERS[name](body)
    except ProviderError:
        return
    if name != "action":
        check_model(result)


def test_deep_nesting_and_huge_numbers() -> None:
    for body in (
        b"[" * 50_000 + b"]" * 50_000,
        b'{"status":1,"error":null,"result":' + b"9" * 10_000 + b"}",
        b'{"status":1,"error":null,"result":{"1":{"calls_wait":1e999}}}',
        b'{"status":1,"error":null,"result":{"1":{"agent_state":NaN,"id_agent":Infinity}}}',
    ):
        run_all(body)


def test_too_many_items_is_a_bad_response() -> None:
    body = envelope({str(i): {"id": str(i)} for i in range(parse.MAX_ITEMS + 1)})
    for name in ("RTStatsQueues", "RTUsersState", "GetPauses", "RTStatsCalls"):
        with pytest.raises(ProviderError, match="more than"):
            PARSERS[name](body)
