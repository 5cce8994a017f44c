"""Each sample reply of the Daktela manual, read into the normalised model."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from providers.daktela import parse
from providers.errors import ProviderError
from providers.model import AgentStatus, CallDirection, PauseType
from tests.providers.daktela.fake_daktela import FIXTURES, load

PRAGUE = ZoneInfo("Europe/Prague")


def reply(result: Any) -> bytes:
    return json.dumps({"status": 1, "error": None, "result": result}).encode()


def sample(name: str) -> Any:
    return json.loads(load(name))["result"]


def pauses_33() -> dict[str, Any]:
    return {p.id: p for p in parse.parse_get_pauses(load("GetPauses_3.3.json"))}


# ------------------------------------------------------------------ every fixture


ERROR_FIXTURES = {
    "ActivityClose_state_missing.json",
    "CreateCall_not_logged_in.json",
    "EmailCreate_wrong_queue_type.json",
    "GetUser_bad_token.json",
    "LogoutQueue_refused.json",
    "PauseOn_not_found.json",
}
ALL_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("name", sorted(set(ALL_FIXTURES) - ERROR_FIXTURES))
def test_every_success_sample_passes_the_envelope_check(name: str) -> None:
    parse.check_envelope(load(name))


@pytest.mark.parametrize("name", sorted(ERROR_FIXTURES))
def test_every_error_sample_raises_with_the_vendor_text(name: str) -> None:
    vendor_text = json.loads(load(name))["error"]
    with pytest.raises(ProviderError) as caught:
        parse.check_envelope(load(name))
    assert vendor_text in caught.value.message


def test_the_createcall_sample_with_one_brace_too_many_is_still_read() -> None:
    assert parse.parse_action(load("CreateCall_3.1.json")) == {"id_call": "123456789.1234SJ"}


# ------------------------------------------------------------------ queues


def test_get_queues_single() -> None:
    [queue] = parse.parse_get_queues(load("GetQueues_3.0_single.json"))
    assert (queue.id, queue.number, queue.name) == ("3", "1002", "Outbounder")
    assert queue.calls_waiting is None


def test_get_queues_all_keyed_by_id_skips_deleted_and_tolerates_options() -> None:
    one = sample("GetQueues_3.0_single.json")
    assert isinstance(one["options"], str)  # the documented quirk: a JSON string
    result = {
        "3": one,
        "5": {**one, "queue": "5", "name": "5001", "title": "Support", "options": "{broken"},
        "9": {**one, "queue": "9", "name": "9000", "title": "Old", "deleted": "1"},
    }
    queues = parse.parse_get_queues(reply(result))
    assert [(q.id, q.number, q.name) for q in queues] == [
        ("3", "1002", "Outbounder"),
        ("5", "5001", "Support"),
    ]


def test_get_queues_empty_php_list() -> None:
    assert parse.parse_get_queues(reply([])) == []


def test_rt_stats_queues_with_null_calls_time() -> None:
    stats = parse.parse_rt_stats_queues(load("RTStatsQueues_3.5.json"))
    assert set(stats) == {"4", "6"}
    assert stats["4"].longest_wait_s is None  # "calls_time": null
    assert stats["6"].longest_wait_s == 0
    assert (stats["4"].agents_total, stats["4"].agents_busy, stats["4"].calls_waiting) == (1, 1, 0)
    assert stats["4"].calls_count == 1


def test_rt_stats_queues_reads_numbers_sent_as_strings() -> None:
    stats = parse.parse_rt_stats_queues(
        reply({"7": {"id": "7", "users_total": "3", "calls_wait": "2", "calls_time": "41"}})
    )
    assert (stats["7"].agents_total, stats["7"].calls_waiting, stats["7"].longest_wait_s) == (
        3,
        2,
        41,
    )


# ------------------------------------------------------------------ pauses


def test_get_pauses_33_shape() -> None:
    pauses = {p.id: p for p in parse.parse_get_pauses(load("GetPauses_3.3.json"))}
    assert set(pauses) == {"2", "3", "4", "6", "7", "8", "9"}
    assert (pauses["2"].title, pauses["2"].type, pauses["2"].paid) == ("Wrap", PauseType.WRAP, True)
    assert pauses["3"].type is PauseType.OTHER  # "lajdak", a system pause
    assert pauses["4"].type is PauseType.NORMAL  # null
    assert pauses["7"].type is PauseType.NORMAL  # ""
    assert (pauses["7"].title, pauses["7"].paid) == ("Obed", False)


def test_get_pauses_30_shape() -> None:
    pauses = {p.id: p for p in parse.parse_get_pauses(load("GetPauses_3.0.json"))}
    assert set(pauses) == {"2", "3", "4", "5", "6", "7"}
    assert (pauses["2"].title, pauses["2"].type, pauses["2"].paid) == ("Wrap", PauseType.WRAP, True)
    assert pauses["3"].type is PauseType.WRAP  # pauseType "w"
    assert (pauses["4"].title, pauses["4"].type) == ("Backoffice", PauseType.NORMAL)  # "-"
    assert pauses["6"].paid is False


def test_get_pauses_30_single() -> None:
    [pause] = parse.parse_get_pauses(load("GetPauses_3.0_single.json"))
    assert (pause.id, pause.title, pause.type) == ("3", "Lajdak", PauseType.WRAP)


@pytest.mark.parametrize("name", ["GetPauses_3.3.json", "GetPauses_3.0.json"])
def test_get_pauses_skips_deleted(name: str) -> None:
    result = sample(name)
    result["7"]["deleted"] = "1"
    ids = {p.id for p in parse.parse_get_pauses(reply(result))}
    assert "7" not in ids
    assert "2" in ids


# ------------------------------------------------------------------ agents


def test_rt_users_state_41() -> None:
    state = parse.parse_rt_users_state(load("RTUsersState_4.1.json"), PRAGUE, pauses_33())
    [agent] = state.agents
    assert (agent.id, agent.login, agent.name, agent.extension) == (
        "1",
        "admin",
        "Administrator",
        "500",
    )
    assert (agent.status, agent.raw_status) == (AgentStatus.IDLE, "Idle")
    # 2016-09-26 15:37:09 in Prague (CEST, UTC+2)
    assert agent.status_since == datetime(2016, 9, 26, 13, 37, 9, tzinfo=UTC)
    assert [(m.queue_id, m.logged_in, m.penalty) for m in state.memberships] == [
        ("1", False, 0),
        ("3", False, 0),
        ("4", True, 0),
    ]
    assert {(q.id, q.number, q.name) for q in state.queues} == {
        ("1", "2000", "test"),
        ("3", "2001", "PRICHOZI"),
        ("4", "2002", "ODCHOZI"),
    }
    assert state.active_calls == ()


def test_rt_user_state_40_paused_on_a_wrap_pause_is_wrap_up() -> None:
    state = parse.parse_rt_user_state(load("RTUserState_4.0.json"), PRAGUE, pauses_33())
    [agent] = state.agents
    assert (agent.id, agent.login, agent.status, agent.raw_status) == (
        "4",
        "hajek",
        AgentStatus.WRAP_UP,
        "Paused",
    )
    assert (agent.pause_reason_id, agent.pause_reason) == ("2", "Wrap")
    # 2013-12-10 16:12:55 in Prague (CET, UTC+1)
    assert agent.status_since == datetime(2013, 12, 10, 15, 12, 55, tzinfo=UTC)
    assert state.hash == "ea8c9c6ec59a0c6d5ba4711d63105cb049dbd279"
    assert len(state.memberships) == 12
    assert {m.queue_id for m in state.memberships if m.logged_in} == {"2"}


def test_rt_user_state_paused_without_known_pauses_is_paused() -> None:
    [agent] = parse.parse_rt_user_state(load("RTUserState_4.0.json"), PRAGUE).agents
    assert agent.status is AgentStatus.PAUSED
    assert (agent.pause_reason_id, agent.pause_reason) == ("2", None)


def test_paused_on_a_normal_pause_is_paused_with_its_title() -> None:
    result = sample("RTUserState_4.0.json")
    result["id_pause"] = "7"
    [agent] = parse.parse_rt_user_state(reply(result), PRAGUE, pauses_33()).agents
    assert (agent.status, agent.pause_reason) == (AgentStatus.PAUSED, "Obed")


def test_rt_user_state_39_speaking_with_a_call() -> None:
    state = parse.parse_rt_user_state(load("RTUserState_3.9.json"), PRAGUE)
    [agent] = state.agents
    assert (agent.login, agent.status, agent.extension) == ("demouser", AgentStatus.TALKING, "6666")
    [call] = state.active_calls
    assert (call.call_id, call.agent_id, call.queue_id, call.number) == (
        "1359724851.1068",
        "4",
        "1",
        "300",
    )
    assert (call.direction, call.state) == (CallDirection.IN, AgentStatus.TALKING)
    assert call.since == datetime(2013, 2, 1, 13, 21, 2, tzinfo=UTC)  # "answered"
    assert state.hash is None
    assert state.memberships == ()


@pytest.mark.parametrize(
    ("label", "status"),
    [
        ("Logged", AgentStatus.LOGGED_IN),
        ("Idle", AgentStatus.IDLE),
        ("Paused", AgentStatus.PAUSED),
        ("Ringing", AgentStatus.RINGING),
        ("Speaking", AgentStatus.TALKING),
        ("On Hold", AgentStatus.ON_HOLD),
        ("Dancing", AgentStatus.UNKNOWN),
        ("", AgentStatus.UNKNOWN),
    ],
)
def test_agent_state_labels(label: str, status: AgentStatus) -> None:
    result = sample("RTUsersState_4.1.json")
    result["1"]["agent_state"] = label
    [agent] = parse.parse_rt_users_state(reply(result), PRAGUE).agents
    assert (agent.status, agent.raw_status) == (status, label)


# ------------------------------------------------------------------ calls


def test_rt_stats_calls_35_speaking() -> None:
    calls = parse.parse_rt_stats_calls(load("RTStatsCalls_3.5.json"), PRAGUE)
    assert calls.waiting_calls == ()
    [call] = calls.active_calls
    assert (call.call_id, call.agent_id, call.queue_id, call.number, call.state) == (
        "1332333840.98",
        "3",
        "6",
        "100",
        AgentStatus.TALKING,
    )
    # answer_time_absolute 2012-03-21 13:44:07, before the DST switch: UTC+1
    assert call.since == datetime(2012, 3, 21, 12, 44, 7, tzinfo=UTC)


def test_rt_stats_calls_waiting_positions_by_enter_time_per_queue() -> None:
    template = sample("RTStatsCalls_3.5.json")["1332333840.98"]

    def waiting(call_id: str, queue: str, entered: str, wait: str | None) -> dict[str, Any]:
        return {
            **template,
            "id": call_id,
            "queue": queue,
            "agent": None,
            "users": [],
            "clid": f"60{call_id}",
            "state": "Waiting",
            "enter_time_absolute": entered,
            "wait_time_relative": wait,
        }

    result = {
        "c": waiting("c", "6", "2012-03-21 13:44:30", "5"),
        "a": waiting("a", "6", "2012-03-21 13:44:02", "33"),
        "b": waiting("b", "4", "2012-03-21 13:44:10", None),
        "s": {**template, "state": "Transfered", "id": "s"},
    }
    now = datetime(2012, 3, 21, 12, 44, 35, tzinfo=UTC)
    calls = parse.parse_rt_stats_calls(reply(result), PRAGUE, now)
    assert [(w.queue_id, w.position, w.call_id, w.wait_s) for w in calls.waiting_calls] == [
        ("4", 1, "b", 7),  # enter_time_relative "7" of the sample
        ("6", 1, "a", 33),
        ("6", 2, "c", 5),
    ]
    assert calls.waiting_calls[1].caller == "60a"
    assert calls.active_calls == ()  # "Transfered" is neither waiting nor at an agent


def test_rt_stats_calls_ringing_on_hold_and_empty_list() -> None:
    template = sample("RTStatsCalls_3.5.json")["1332333840.98"]
    result = {
        "r": {**template, "id": "r", "state": "Ringing", "agent": None, "users": ["5", "6"]},
        "h": {**template, "id": "h", "state": "On Hold", "hold_time_absolute": None},
    }
    calls = {c.call_id: c for c in parse.parse_rt_stats_calls(reply(result), PRAGUE).active_calls}
    assert (calls["r"].state, calls["r"].agent_id) == (AgentStatus.RINGING, "5")
    assert calls["h"].state is AgentStatus.ON_HOLD
    assert calls["h"].since == datetime(2012, 3, 21, 12, 44, 2, tzinfo=UTC)  # enter time
    assert parse.parse_rt_stats_calls(reply([]), PRAGUE).active_calls == ()


# ------------------------------------------------------------------ devices and time


def test_device_states() -> None:
    states = parse.parse_device_states(load("DeviceStates_3.1.json"))
    assert states == {
        "100": "AVAILABLE",
        "200": "AVAILABLE",
        "300": "AVAILABLE",
        "500": "UNAVAILABLE",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-09-26 14:40:28", datetime(2016, 9, 26, 12, 40, 28, tzinfo=UTC)),
        ("2013-01-22 11:22:49", datetime(2013, 1, 22, 10, 22, 49, tzinfo=UTC)),
        ("0000-00-00 00:00:00", None),
        ("yesterday", None),
        (None, None),
        (1359724851, None),
    ],
)
def test_local_times_become_utc(value: object, expected: datetime | None) -> None:
    assert parse.to_utc(value, PRAGUE) == expected
