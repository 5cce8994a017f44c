"""VoIPSUN replies → the normalised model, with the manual's own samples (fixtures/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from providers.errors import ProviderBadResponseError, ProviderNotFoundError
from providers.model import AgentStatus, CallDirection
from providers.voipsun import parse
from tests.providers.voipsun.fake_voipsun import fixture

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


# ------------------------------------------------------------------ queuestatus


def test_queuestatus_sample_queue_metrics() -> None:
    status = parse.parse_queue_status(fixture("queuestatus.json"), "FrontaIT")
    queue = status.queue
    assert queue.id == "FrontaIT"
    assert queue.name == "FrontaIT"
    assert queue.answered == 39
    assert queue.abandoned == 0
    assert queue.service_level_pct == pytest.approx(76.9)
    assert queue.sl_threshold_s == 0
    assert queue.avg_wait_s == 2
    assert queue.avg_talk_s == 38
    assert queue.capacity is None  # "max":"0" is Asterisk's "no limit"


def test_queuestatus_waiters_win_over_the_calls_counter() -> None:
    """The sample says ``"calls":"0"`` but lists three waiters: the list wins."""
    status = parse.parse_queue_status(fixture("queuestatus.json"), "FrontaIT")
    assert status.queue.calls_waiting == 3
    assert status.queue.longest_wait_s == 7
    assert [(w.position, w.caller, w.wait_s) for w in status.waiting_calls] == [
        (1, "999555444", 7),
        (2, "999555666", 6),
        (3, "999444555", 4),
    ]
    first = status.waiting_calls[0]
    assert first.queue_id == "FrontaIT"
    assert first.call_id == "1503045639.449950"
    assert first.caller_name == "999555444"


def test_queuestatus_members_keyed_by_name() -> None:
    status = parse.parse_queue_status(fixture("queuestatus.json"), "FrontaIT")
    assert [a.id for a in status.agents] == [f"Agent_{i:02d}" for i in range(1, 13)]
    agent = status.agents[0]
    assert agent.login == agent.name == "Agent_01"
    assert agent.extension == "1000"
    assert status.lines["Agent_01"] == "Linka_1000"
    membership = status.memberships[0]
    assert (membership.agent_id, membership.queue_id) == ("Agent_01", "FrontaIT")
    assert membership.penalty == 1
    assert membership.static is False
    assert membership.logged_in is True


def test_queuestatus_disagreeing_signals_the_specific_one_wins() -> None:
    """Status 1 (not in use) with isInCall 1 and "Line is busy" ⇒ TALKING."""
    status = parse.parse_queue_status(fixture("queuestatus.json"), "FrontaIT")
    by_id = {a.id: a for a in status.agents}
    for i in range(1, 12):
        assert by_id[f"Agent_{i:02d}"].status is AgentStatus.TALKING
    assert "Line is busy" in by_id["Agent_01"].raw_status
    assert by_id["Agent_12"].status is AgentStatus.IDLE
    assert by_id["Agent_12"].raw_status == "Line is free"
    assert status.queue.agents_total == 12
    assert status.queue.agents_busy == 11
    assert status.queue.agents_ready == 1
    assert status.queue.agents_paused == 0


@pytest.mark.parametrize(
    ("device_state", "paused", "in_call", "line", "registered", "expected"),
    [
        ("1", False, False, "Line is free", None, AgentStatus.IDLE),
        ("1", False, True, "Line is busy", None, AgentStatus.TALKING),
        ("2", False, False, "", None, AgentStatus.TALKING),
        ("3", False, False, "", None, AgentStatus.TALKING),
        ("4", False, False, "", None, AgentStatus.UNAVAILABLE),
        ("5", False, False, "Line is unavailable", None, AgentStatus.UNAVAILABLE),
        ("6", False, False, "Line is ringing", None, AgentStatus.RINGING),
        ("7", False, False, "", None, AgentStatus.RINGING),
        ("8", False, True, "Line is On hold", None, AgentStatus.ON_HOLD),
        ("2", False, True, "Line is On hold", None, AgentStatus.ON_HOLD),
        ("0", False, False, "", None, AgentStatus.UNKNOWN),
        ("42", False, False, "Line is dancing", None, AgentStatus.UNKNOWN),
        ("2", False, False, "Line is free", None, AgentStatus.IDLE),  # text over number
        ("6", False, False, "Line is not free", None, AgentStatus.RINGING),
        ("2", False, False, "Line is not free", None, AgentStatus.TALKING),
        ("1", True, False, "Line is free", None, AgentStatus.PAUSED),
        ("2", True, True, "Line is busy", None, AgentStatus.PAUSED),
        ("1", False, False, "Line is free", False, AgentStatus.UNAVAILABLE),
        ("1", False, False, "Line is free", True, AgentStatus.IDLE),
        ("2", False, True, "Line is In use", False, AgentStatus.TALKING),
    ],
)
def test_member_status(
    device_state: str,
    paused: bool,
    in_call: bool,
    line: str,
    registered: bool | None,
    expected: AgentStatus,
) -> None:
    status = parse.member_status(
        device_state=device_state,
        paused=paused,
        in_call=in_call,
        line_text=line,
        registered=registered,
    )
    assert status is expected


def test_queuestatus_unregistered_line_makes_the_agent_unavailable() -> None:
    body = (
        b'{"success":"true","results":[{"queueName":"Q","calls":"0","members":{"A":'
        b'{"agentName":"A","channelStatus":"Line is free","loggedFrom":"SIP\\/100a",'
        b'"location":"Local\\/100@x","membership":"static","penalty":"0","isInCall":"0",'
        b'"status":"1","paused":"0"}},"waiters":[]}]}'
    )
    lines = parse.parse_sip_status(fixture("sipstatus.json"))
    status = parse.parse_queue_status(body, "Q", sip_lines=lines)
    agent = status.agents[0]
    assert agent.status is AgentStatus.UNAVAILABLE
    assert "not registered" in agent.raw_status
    assert status.memberships[0].static is True
    assert status.queue.calls_waiting == 0
    assert status.queue.longest_wait_s == 0


def test_queuestatus_without_the_queue_is_not_found() -> None:
    with pytest.raises(ProviderNotFoundError):
        parse.parse_queue_status(b'{"success":"true","results":[]}', "FrontaABC")


# ------------------------------------------------------------------ agentstatus


@pytest.mark.parametrize(
    ("name", "logged_in", "expected"),
    [
        ("free", True, AgentStatus.IDLE),
        ("in_use", True, AgentStatus.TALKING),
        ("busy", True, AgentStatus.TALKING),
        ("unavailable", True, AgentStatus.UNAVAILABLE),
        ("ringing", True, AgentStatus.RINGING),
        ("on_hold", True, AgentStatus.ON_HOLD),
        ("not_free", True, AgentStatus.TALKING),
        ("logged_out", False, AgentStatus.OFFLINE),
    ],
)
def test_agentstatus_samples_despite_invalid_json(
    name: str, logged_in: bool, expected: AgentStatus
) -> None:
    body = fixture(f"agentstatus_{name}.txt")
    with pytest.raises(ValueError, match="Expecting"):
        json.loads(body)
    state = parse.parse_agent_status(body)
    assert state.logged_in is logged_in
    assert state.status is expected
    assert state.raw_status.startswith("Agent 1000 is logged")


def test_agentstatus_valid_json_is_read_too() -> None:
    state = parse.parse_agent_status(
        b'{"success":"true","reason":"Agent 7 is logged in. Line is ringing"}'
    )
    assert state.status is AgentStatus.RINGING


def test_agentstatus_logged_in_without_line_text() -> None:
    state = parse.parse_agent_status(b'{"success":"true":"reason":"Agent 7 is logged in."}')
    assert state.logged_in
    assert state.status is AgentStatus.LOGGED_IN


@pytest.mark.parametrize(
    ("errno", "expected"),
    [
        ("630", AgentStatus.UNAVAILABLE),
        ("631", AgentStatus.UNAVAILABLE),
        ("632", AgentStatus.TALKING),
        ("633", AgentStatus.RINGING),
        ("634", AgentStatus.ON_HOLD),
        ("635", AgentStatus.TALKING),
        ("636", AgentStatus.TALKING),
    ],
)
def test_agentstatus_line_errnos_are_line_states(errno: str, expected: AgentStatus) -> None:
    body = f'{{"success":"false","errno":"{errno}","reason":"x"}}'.encode()
    state = parse.parse_agent_status(body)
    assert state.logged_in
    assert state.status is expected


def test_agentstatus_wrong_pin_raises() -> None:
    body = (
        b'{"success":"false","errno":"620",'
        b'"reason":"Agent not found, or bad authorization credentials!"}'
    )
    with pytest.raises(ProviderNotFoundError):
        parse.parse_agent_status(body)


def test_agentstatus_reader_repairs_only_the_documented_shape() -> None:
    with pytest.raises(ProviderBadResponseError):
        parse.parse_agent_status(b'{"success":"true":"reason":"x":"more":"y"}')
    with pytest.raises(ProviderBadResponseError):
        parse.parse_agent_status(b'{"success":"true" "reason":"x"}')


# ------------------------------------------------------------------ listcalls


def test_listcalls_sample() -> None:
    channels = parse.parse_channels(fixture("listcalls.json"))
    assert [c.channel for c in channels] == [
        "SIP/555-0000b70f",
        "SIP/550-0000b710",
        "SIP/upc-0000b714",
        "SIP/upc-0000b715",
    ]
    assert channels[0].peer == "555"
    assert channels[2].source_type == "trunk"
    calls = parse.parse_list_calls(
        fixture("listcalls.json"), now=NOW, agent_by_peer={"555": "Agent_05"}
    )
    assert len(calls) == 2  # the trunk legs of the same two calls are left out
    first, second = sorted(calls, key=lambda c: c.call_id)
    assert first.call_id == first.channel == "SIP/550-0000b710"
    assert first.number == "987654321"
    assert first.direction is CallDirection.IN
    assert first.state is AgentStatus.TALKING
    assert first.since == NOW - timedelta(seconds=305)
    assert first.agent_id is None
    assert second.agent_id == "Agent_05"
    assert second.since == NOW - timedelta(seconds=529)


# ------------------------------------------------------------------ sipstatus


def test_sipstatus_sample() -> None:
    lines = parse.parse_sip_status(fixture("sipstatus.json"))
    assert len(lines) == 19
    assert lines["102a"].registered is True  # OK (35 ms)
    assert lines["102a"].raw_status == "OK (35 ms)"
    assert lines["tel100"].registered is True  # Unmonitored but registered from a host
    assert lines["100a"].registered is False  # UNKNOWN, (Unspecified)
    assert lines["101a"].registered is False
    assert lines["201b"].registered is False  # Unmonitored, (Unspecified)
    assert lines["siptrunk1"].kind == "sip"


# ------------------------------------------------------------------ actions


@pytest.mark.parametrize(
    "name",
    [
        "agentlogin.json",
        "agentlogout.json",
        "agentpause.json",
        "agentunpause.json",
        "agentadd.json",
        "agentremove.json",
        "moverecord.json",
    ],
)
def test_action_success_samples(name: str) -> None:
    parse.check_action(fixture(name))


def test_peer_of() -> None:
    assert parse.peer_of("SIP/Linka_1000") == "Linka_1000"
    assert parse.peer_of("SIP/555-0000b70f") == "555"
    assert parse.peer_of("SIP\\5555-0000b704") == "5555"
    assert parse.peer_of("garbage") == ""
