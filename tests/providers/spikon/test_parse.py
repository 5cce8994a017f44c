"""SPIKON replies → the normalised model, checked against every sample in both manuals."""

from __future__ import annotations

import json

import pytest

from providers.errors import ProviderBadResponseError, ProviderRefusedError
from providers.model import AgentStatus, Membership, Queue, WaitingCall
from providers.spikon import parse
from tests.providers.spikon.recorded import load

VERSIONS = ["1.0.3", "1.3"]
FORMATS = [0, 1]
BOTH = [(v, f) for v in VERSIONS for f in FORMATS]
CAMPAIGN = Queue(id="1", name="Windykacja")


@pytest.mark.parametrize(("version", "fmt"), BOTH)
def test_campaign_list(version: str, fmt: int) -> None:
    queues = parse.parse_campaigns(load(version, "cc_campaigns_list", fmt), fmt)
    assert queues == [Queue(id="1", name="Windykacja"), Queue(id="2", name="Infolinia")]


@pytest.mark.parametrize(("version", "fmt"), BOTH)
def test_monitor_queue_metrics(version: str, fmt: int) -> None:
    monitor = parse.parse_monitor(load(version, "cc_monitor_show", fmt), fmt, CAMPAIGN)
    assert monitor.queue == Queue(
        id="1",
        name="Windykacja",
        calls_waiting=0,  # calls-waiting
        longest_wait_s=0,  # nothing waits
        agents_total=2,  # two members listed
        agents_ready=1,  # free-members 2, one of them on a break
        agents_busy=0,  # busy-members
        agents_paused=1,  # Janina: pause "Tak"
        answered=0,
        abandoned=4,  # unanswered
        service_level_pct=0.0,  # sla 0 (4 unanswered: a real 0 %)
        sl_threshold_s=60,  # measured-sla "01:00"
        avg_wait_s=None,  # "00:00" over no answered call is no data
        avg_talk_s=None,
        capacity=20,  # max-waiting
    )


@pytest.mark.parametrize(("version", "fmt"), BOTH)
def test_monitor_members(version: str, fmt: int) -> None:
    monitor = parse.parse_monitor(load(version, "cc_monitor_show", fmt), fmt, CAMPAIGN)
    janina, adam = monitor.members
    assert (janina.login, janina.name, janina.state) == ("1234567", "Janina Kowalska", "Wolny")
    assert janina.status is AgentStatus.PAUSED
    assert janina.raw_status == "Wolny (przerwa)"
    assert (janina.answered, janina.last_call, janina.skill) == (0, None, 1)  # "Brak danych"
    assert (adam.login, adam.name, adam.status, adam.raw_status) == (
        "2345678",
        "Adam Nowacki",
        AgentStatus.IDLE,
        "Wolny",
    )
    assert monitor.memberships == (
        Membership(agent_id="1234567", queue_id="1", penalty=1),
        Membership(agent_id="2345678", queue_id="1", penalty=1),
    )
    assert monitor.waiting_calls == ()


def test_waiting_calls_placement_differs_between_the_manuals() -> None:
    old = json.loads(load("1.0.3", "cc_monitor_show", 0))
    new = json.loads(load("1.3", "cc_monitor_show", 0))
    assert "waiting-calls" in old
    assert "waiting-calls" not in old["cc-monitor"]
    assert "waiting-calls" in new["cc-monitor"]
    assert "waiting-calls" not in new


WAITING = {
    "count": "2",
    "waiting-call-1": {"position": "1", "number": "226211245", "waiting-time": "00:35"},
    "waiting-call-2": {"position": "2", "number": "601602603", "waiting-time": "01:05"},
}


@pytest.mark.parametrize("placement", ["beside", "inside"])
def test_waiting_calls_are_read_in_both_placements(placement: str) -> None:
    reply = json.loads(load("1.3", "cc_monitor_show", 0))
    reply["cc-monitor"].pop("waiting-calls")
    reply["cc-monitor"]["basic-data"]["calls-waiting"] = 2
    if placement == "beside":
        reply["waiting-calls"] = WAITING
    else:
        reply["cc-monitor"]["waiting-calls"] = WAITING
    monitor = parse.parse_monitor(json.dumps(reply).encode(), 0, CAMPAIGN)
    assert monitor.waiting_calls == (
        WaitingCall(queue_id="1", position=1, caller="226211245", wait_s=35),
        WaitingCall(queue_id="1", position=2, caller="601602603", wait_s=65),
    )
    assert monitor.queue.calls_waiting == 2
    assert monitor.queue.longest_wait_s == 65


def test_waiting_calls_in_xml() -> None:
    reply = load("1.3", "cc_monitor_show", 1).replace(
        b"<waiting-calls>\n</waiting-calls>",
        b"<waiting-calls><count>1</count><waiting-call-1><position>1</position>"
        b"<number>226211245</number><waiting-time>02:03</waiting-time></waiting-call-1>"
        b"</waiting-calls>",
    )
    monitor = parse.parse_monitor(reply, 1, CAMPAIGN)
    assert monitor.waiting_calls == (
        WaitingCall(queue_id="1", position=1, caller="226211245", wait_s=123),
    )
    assert monitor.queue.calls_waiting == 1  # the list wins over the counter (0)


def test_xml_integers_are_typed() -> None:
    tree = parse.decode(load("1.3", "cc_monitor_show", 1), 1)
    monitor = tree["cc-monitor"]
    assert isinstance(monitor, dict)
    basic = monitor["basic-data"]
    assert isinstance(basic, dict)
    assert basic["free-members"] == 2
    assert basic["sla"] == 0
    assert basic["measured-sla"] == "01:00"  # untyped stays text
    bad = load("1.3", "cc_monitor_show", 1).replace(
        b'<sla type="integer">0</sla>', b'<sla type="integer">zero</sla>'
    )
    with pytest.raises(ProviderBadResponseError):
        parse.parse_monitor(bad, 1, CAMPAIGN)


def test_numbered_keys_are_ordered_by_number_and_count_is_not_trusted() -> None:
    reply = {
        "cc-campaigns": {
            "count": "7",
            "cc-campaign-10": {"id": "10", "name": "Ten"},
            "cc-campaign-2": {"id": "2", "name": "Two"},
            "cc-campaign-1": {"id": "1", "name": "One"},
            "something-else": {"id": "99"},
        }
    }
    queues = parse.parse_campaigns(json.dumps(reply).encode(), 0)
    assert [q.id for q in queues] == ["1", "2", "10"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_agent_list(fmt: int) -> None:
    agents = parse.parse_agents(load("1.3", "cc_agent_list", fmt), fmt)
    # The XML sample says <count>9</count> over two agents: the entries present count.
    assert agents == [
        parse.CallCenterAgent(
            id="1",
            name="Jan Kowalski",
            sip="0000000",
            ddi="220000000",
            in_campaigns=("1", "2"),
            out_campaigns=("1",),
            default_out_campaign="1",
        ),
        parse.CallCenterAgent(
            id="2",
            name="Janina Kowalska",
            sip="0000001",
            ddi="220000001",
            in_campaigns=("3", "4"),
            out_campaigns=("4",),
            default_out_campaign="3",
        ),
    ]


@pytest.mark.parametrize(("version", "fmt"), BOTH)
def test_phone_accounts_and_call_initiate(version: str, fmt: int) -> None:
    assert parse.parse_phone_accounts(load(version, "phone_account_list", fmt), fmt) == [
        parse.PhoneAccount(
            id="1", login="12345678", number="123456789", internal=None, description="Brak"
        )
    ]
    assert parse.parse_call_initiate(load(version, "call_initiate", fmt), fmt) == "initiated"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("direction", ["in", "out"])
def test_membership_action_replies(fmt: int, direction: str) -> None:
    parse.parse_add_agent(load("1.3", f"cc_{direction}_campaign_add_agent", fmt), fmt)
    parse.parse_remove_agent(load("1.3", f"cc_{direction}_campaign_remove_agent", fmt), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_default_reply(fmt: int) -> None:
    parse.parse_set_default(load("1.3", "cc_out_campaign_set_default", fmt), fmt)


def test_add_and_remove_replies_have_their_own_shapes() -> None:
    add = load("1.3", "cc_in_campaign_add_agent", 0)
    remove = load("1.3", "cc_in_campaign_remove_agent", 0)
    assert json.loads(add) == {"add_agent_status": "OK"}
    assert json.loads(remove) == {"remove_agent": {"status": "OK"}}
    with pytest.raises(ProviderBadResponseError):
        parse.parse_add_agent(remove, 0)
    with pytest.raises(ProviderBadResponseError):
        parse.parse_set_default(add, 0)


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        (b'{"add_agent_status":"ERROR"}', 0),
        (b"<add-agent><status>FAILED</status></add-agent>", 1),
        (b'{"remove_agent":{"status":""}}', 0),
    ],
)
def test_action_without_ok_is_refused(body: bytes, fmt: int) -> None:
    reader = parse.parse_add_agent if b"add" in body else parse.parse_remove_agent
    with pytest.raises(ProviderRefusedError):
        reader(body, fmt)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("00:00", 0),
        ("01:00", 60),
        ("12:34", 754),
        ("125:07", 7507),
        ("1:02:03", 3723),
        ("Brak danych", None),
        ("brak DANYCH", None),
        ("", None),
        (None, None),
        (45, 45),
        ("45", 45),
        ("ab:cd", None),
        ("01:75", None),
    ],
)
def test_durations(value: parse.Node, seconds: int | None) -> None:
    assert parse.parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("state", "pause", "status"),
    [
        ("Wolny", False, AgentStatus.IDLE),
        ("Wolny", None, AgentStatus.IDLE),
        ("Wolny", True, AgentStatus.PAUSED),
        ("Zajęty", False, AgentStatus.TALKING),
        ("ZAJĘTY", False, AgentStatus.TALKING),
        ("Zajety", False, AgentStatus.TALKING),
        ("Zajęty", True, AgentStatus.PAUSED),
        ("Dzwoni", False, AgentStatus.RINGING),
        ("Niedostępny", False, AgentStatus.UNAVAILABLE),
        ("Niedostępny", True, AgentStatus.UNAVAILABLE),
        ("Coś nowego", False, AgentStatus.UNKNOWN),
        ("", False, AgentStatus.UNKNOWN),
    ],
)
def test_member_states(state: str, pause: bool | None, status: AgentStatus) -> None:
    assert parse.member_status(state, pause) is status


def test_polish_yes_no_and_no_data() -> None:
    assert parse.parse_yes_no("Tak") is True
    assert parse.parse_yes_no("Nie") is False
    assert parse.parse_yes_no("Brak danych") is None
    assert parse.optional_text("Brak danych") is None
    assert parse.optional_text("-") is None  # phone_account internal: "minus oznacza brak"
    assert parse.optional_int("Brak danych") is None


def test_unknown_state_keeps_the_raw_label() -> None:
    reply = load("1.3", "cc_monitor_show", 0).replace(
        b'"state":"Wolny", "answered":"0", "last-call":"Brak danych", "pause":"Nie"',
        b'"state":"Przerwa techniczna", "answered":"0", "last-call":"Brak danych", "pause":"Nie"',
    )
    monitor = parse.parse_monitor(reply, 0, CAMPAIGN)
    assert monitor.members[1].status is AgentStatus.UNKNOWN
    assert monitor.members[1].raw_status == "Przerwa techniczna"


def test_wrong_root_is_a_bad_response() -> None:
    with pytest.raises(ProviderBadResponseError):
        parse.parse_monitor(load("1.3", "cc_campaigns_list", 0), 0, CAMPAIGN)
    with pytest.raises(ProviderBadResponseError):
        parse.parse_campaigns(b"{}", 0)
    with pytest.raises(ProviderBadResponseError):
        parse.parse_campaigns(b"{}", 2)
