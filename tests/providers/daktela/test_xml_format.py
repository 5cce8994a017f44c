"""XML replies (``format: xml``): the manual's samples in XML give exactly the model objects
their JSON gives; hostile XML is refused quickly as a bad response."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from providers.base import AgentRef, ListenMode, TransferKind
from providers.daktela import parse
from providers.daktela.adapter import DaktelaProvider
from providers.errors import (
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
)
from tests.providers.daktela.fake_daktela import (
    NOW,
    DaktelaReplies,
    all_queues_reply,
    load,
    make_config,
    make_provider,
)
from tests.providers.daktela.xml_replies import XmlReplies, render, to_xml

PRAGUE = ZoneInfo("Europe/Prague")
AGENT = AgentRef(id="1", login="michalhajek", extension="100")


def pauses_33() -> dict[str, Any]:
    return {p.id: p for p in parse.parse_get_pauses(load("GetPauses_3.3.json"))}


READERS: dict[str, tuple[Callable[[bytes, str], object], tuple[str, ...]]] = {
    "GetQueues": (
        lambda body, fmt: parse.parse_get_queues(body, fmt=fmt),
        ("GetQueues_3.0_single.json", "all"),
    ),
    "RTStatsQueues": (
        lambda body, fmt: parse.parse_rt_stats_queues(body, fmt=fmt),
        ("RTStatsQueues_3.5.json",),
    ),
    "GetPauses": (
        lambda body, fmt: parse.parse_get_pauses(body, fmt=fmt),
        ("GetPauses_3.0.json", "GetPauses_3.0_single.json", "GetPauses_3.3.json"),
    ),
    "RTUsersState": (
        lambda body, fmt: parse.parse_rt_users_state(body, PRAGUE, pauses_33(), fmt=fmt),
        ("RTUsersState_4.1.json",),
    ),
    "RTUserState": (
        lambda body, fmt: parse.parse_rt_user_state(body, PRAGUE, pauses_33(), fmt=fmt),
        ("RTUserState_3.9.json", "RTUserState_4.0.json"),
    ),
    "RTStatsCalls": (
        lambda body, fmt: parse.parse_rt_stats_calls(body, PRAGUE, NOW, fmt=fmt),
        ("RTStatsCalls_3.5.json",),
    ),
    "DeviceStates": (
        lambda body, fmt: parse.parse_device_states(body, fmt=fmt),
        ("DeviceStates_3.1.json",),
    ),
}
CASES = [(action, name) for action, (_read, names) in READERS.items() for name in names]


def _body(name: str) -> bytes:
    return all_queues_reply() if name == "all" else load(name)


@pytest.mark.parametrize(("action", "name"), CASES)
def test_each_sample_in_xml_reads_exactly_as_in_json(action: str, name: str) -> None:
    read, _names = READERS[action]
    from_json = read(_body(name), "json")
    from_xml = read(to_xml(_body(name)), "xml")
    assert from_xml == from_json
    assert from_json  # the sample is not empty, so the comparison means something


def test_the_xml_reading_keeps_what_the_mapping_needs() -> None:
    """Spot checks on the XML path itself (the equality above could hide a shared bug)."""
    state = parse.parse_rt_user_state(to_xml(load("RTUserState_4.0.json")), PRAGUE, fmt="xml")
    assert state.hash == "ea8c9c6ec59a0c6d5ba4711d63105cb049dbd279"
    assert len(state.memberships) == 12
    assert [m.queue_id for m in state.memberships][:3] == ["1", "2", "5"]
    stats = parse.parse_rt_stats_queues(to_xml(load("RTStatsQueues_3.5.json")), fmt="xml")
    assert stats["4"].longest_wait_s is None  # null → an empty element → still "unknown"
    assert stats["6"].longest_wait_s == 0
    assert parse.parse_device_states(to_xml(load("DeviceStates_3.1.json")), fmt="xml") == {
        "100": "AVAILABLE",
        "200": "AVAILABLE",
        "300": "AVAILABLE",
        "500": "UNAVAILABLE",
    }


ERROR_SAMPLES = [
    "ActivityClose_state_missing.json", "CreateCall_not_logged_in.json",
    "EmailCreate_wrong_queue_type.json", "GetUser_bad_token.json", "LogoutQueue_refused.json",
    "PauseOn_not_found.json",
]  # fmt: skip


@pytest.mark.parametrize("name", ERROR_SAMPLES)
def test_error_samples_in_xml_raise_the_same_error(name: str) -> None:
    with pytest.raises(ProviderError) as from_json:
        parse.check_envelope(load(name))
    with pytest.raises(ProviderError) as from_xml:
        parse.check_envelope(to_xml(load(name)), "xml")
    assert type(from_xml.value) is type(from_json.value)
    assert from_xml.value.message == from_json.value.message


ACTION_SAMPLES = [
    "PauseOn_3.1.json", "PauseOff_3.0.json", "Monitoring_3.0.json", "Monitoring_3.1.json",
    "Transfer_3.1.json", "Hangup_3.1.json", "LoginQueue_3.0.json", "LogoutQueue_3.0.json",
    "Login_3.4.json", "Logout_3.4.json", "CreateCall_3.0.json", "CreateCall_3.1.json",
    "PickupFromQueue_4.0.json",
]  # fmt: skip


@pytest.mark.parametrize("name", ACTION_SAMPLES)
def test_every_action_reply_in_xml(name: str) -> None:
    from_json = parse.parse_action(load(name))
    from_xml = parse.parse_action(to_xml(load(name)), fmt="xml")
    # An empty result ([] in PickupFromQueue) is an empty element: nothing either way.
    assert from_xml == (from_json or None)


# ------------------------------------------------------------------ the adapter in XML


def xml_provider(replies: XmlReplies | None = None) -> DaktelaProvider:
    return make_provider(replies or XmlReplies(), format="xml")


def test_xml_account_asks_for_xml_urls_and_gets_the_json_snapshot() -> None:
    replies = XmlReplies()
    from_xml = xml_provider(replies).fetch_snapshot()
    assert [r.url.path for r in replies.requests] == [
        f"/api/4.1/{action}/xml"
        for action in ("GetQueues", "RTStatsQueues", "GetPauses", "RTUsersState",
                       "RTStatsCalls", "DeviceStates")
    ]  # fmt: skip
    from_json = make_provider(DaktelaReplies()).fetch_snapshot()
    assert from_xml == from_json
    assert not from_xml.failed
    assert from_xml.agents
    assert from_xml.queues
    assert from_xml.active_calls


def test_format_option_defaults_to_json_and_ignores_junk() -> None:
    assert make_provider(DaktelaReplies()).reply_format == "json"
    assert make_provider(DaktelaReplies(), format="XML ").reply_format == "xml"
    assert make_provider(DaktelaReplies(), format="yaml").reply_format == "json"


def test_every_action_in_xml() -> None:
    replies = XmlReplies()
    provider = xml_provider(replies)
    provider.fetch_snapshot()
    provider.pause(AGENT, "7", force=True)
    provider.unpause(AGENT)
    provider.listen(AGENT, "200", ListenMode.WHISPER)
    provider.transfer(AGENT, kind=TransferKind.BLIND, number="777")
    provider.hangup(call_id="1332333840.98")
    provider.add_to_queue(AGENT, "4", penalty=1)
    provider.remove_from_queue(AGENT, "4")
    provider.agent_login(AGENT)
    provider.agent_logout(AGENT)
    provider.originate(AGENT, "800123456")
    provider.pickup(AGENT, "1332333840.98")
    state = provider.user_state(AgentRef(id="4", login="hajek"))
    assert state.hash == "ea8c9c6ec59a0c6d5ba4711d63105cb049dbd279"
    assert all(r.url.path.endswith("/xml") for r in replies.requests)
    assert len(replies.requests) == 6 + 12


@pytest.mark.parametrize(
    ("action", "sample", "error"),
    [
        ("LogoutQueue", "LogoutQueue_refused.json", ProviderRefusedError),
        ("PauseOn", "PauseOn_not_found.json", ProviderNotFoundError),
        ("CreateCall", "CreateCall_not_logged_in.json", ProviderRefusedError),
    ],
)
def test_action_errors_in_xml(action: str, sample: str, error: type[ProviderError]) -> None:
    provider = xml_provider(XmlReplies(DaktelaReplies(overrides={action: load(sample)})))
    provider.fetch_snapshot()
    call = {
        "LogoutQueue": lambda: provider.remove_from_queue(AGENT, "4"),
        "PauseOn": lambda: provider.pause(AGENT, "99"),
        "CreateCall": lambda: provider.originate(AGENT, "800123456"),
    }[action]
    with pytest.raises(error, match="Daktela said"):
        call()


def test_wrong_credentials_in_xml_are_an_auth_error() -> None:
    config = make_config(format="xml")
    config = dataclasses.replace(config, secrets={"password": "wrong"})
    client = httpx.Client(transport=httpx.MockTransport(XmlReplies()))
    provider = DaktelaProvider(config, client=client)
    with pytest.raises(ProviderAuthError, match="Uživatel neexistuje"):
        provider.fetch_snapshot()


def test_json_where_xml_was_asked_for_is_a_bad_response() -> None:
    provider = make_provider(
        lambda request: httpx.Response(200, content=load("RTUsersState_4.1.json")), format="xml"
    )
    with pytest.raises(ProviderBadResponseError, match="JSON where XML"):
        provider.fetch_snapshot()


# ------------------------------------------------------------------ hostile XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE response [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<response><status>1</status><error/><result><item key="1"><agent_title>&lol9;</agent_title>
<id_agent>1</id_agent><agent_state>Idle</agent_state></item></result></response>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE response [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<response><status>1</status><error/><result><item key="1"><agent_title>&secret;</agent_title>
<id_agent>1</id_agent><agent_state>Idle</agent_state></item></result></response>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE response SYSTEM "http://127.0.0.1:9/evil.dtd">
<response><status>1</status><error/><result/></response>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE response [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<response><status>1</status><error/><result/></response>"""


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"],
)
def test_entities_and_dtds_are_refused_quickly(body: bytes) -> None:
    began = time.perf_counter()
    with pytest.raises(ProviderBadResponseError, match="unsafe"):
        parse.parse_rt_users_state(body, PRAGUE, fmt="xml")
    assert time.perf_counter() - began < 0.5


def test_an_entity_bomb_through_the_adapter_fails_only_its_part() -> None:
    replies = XmlReplies()

    def bombing(request: httpx.Request) -> httpx.Response:
        if "/RTUsersState/" in request.url.path:
            return httpx.Response(200, content=BILLION_LAUGHS)
        return replies(request)

    provider = make_provider(bombing, format="xml")
    snapshot = provider.fetch_snapshot()
    assert snapshot.agents == ()
    assert "unsafe" in " ".join(snapshot.errors)
    assert snapshot.queues


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"<html><body>502 Bad Gateway</body></html>", "not an API reply"),
        (b"<response><status>1</status>", "not valid XML"),
        (b"\xff\xfe<response/>", "not valid XML"),
        (b'<?xml version="1.0" encoding="TTF-8"?><response/>', "not valid XML"),
        (b"<response>" + b"<a>" * 100 + b"</a>" * 100 + b"</response>", "nested too deeply"),
        (b"<response><status>1</status><error/><result>7</result></response>", "shape"),
        (b"<response><status>2</status></response>", "without a status"),
        (b"<response/>", "without a status"),
        (b"<response><item>1</item></response>", "not an object"),
    ],
)
def test_unreadable_xml_is_a_bad_response(body: bytes, message: str) -> None:
    with pytest.raises(ProviderBadResponseError, match=message):
        parse.parse_rt_users_state(body, PRAGUE, fmt="xml")


def test_very_deep_xml_does_not_recurse() -> None:
    body = b"<response>" + b"<a>" * 200_000 + b"</a>" * 200_000 + b"</response>"
    with pytest.raises(ProviderBadResponseError):
        parse.parse_get_queues(body, fmt="xml")


def test_too_many_items_in_xml_is_a_bad_response() -> None:
    result = {str(i): {"id": str(i)} for i in range(parse.MAX_ITEMS + 1)}
    body = render({"status": 1, "error": None, "result": result})
    with pytest.raises(ProviderBadResponseError, match="more than"):
        parse.parse_rt_stats_queues(body, fmt="xml")


def test_item_keys_and_lists_follow_the_simulator_shape() -> None:
    body = (
        b'<response><status>1</status><error></error><result><item key="7"><id>7</id>'
        b'<calls_wait>2</calls_wait><calls_time/></item><item key="8"><id>8</id>'
        b"</item></result></response>"
    )
    stats = parse.parse_rt_stats_queues(body, fmt="xml")
    assert (stats["7"].calls_waiting, stats["7"].longest_wait_s) == (2, None)
    assert set(stats) == {"7", "8"}
    assert parse.check_envelope(
        b"<response><status>1</status><error/><result><item>a</item><item/></result></response>",
        "xml",
    ) == ["a", None]
