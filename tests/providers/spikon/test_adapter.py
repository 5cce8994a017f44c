"""What the SPIKON adapter sends and how it merges its endpoints (HTTP mocked at the boundary)."""

from __future__ import annotations

import httpx
import pytest

from providers.base import AgentRef, Capability
from providers.errors import ProviderAuthError, ProviderNotFoundError, ProviderUnavailableError
from providers.model import AgentStatus, Endpoint, Membership
from providers.spikon.adapter import CAPABILITIES, SpikonProvider
from tests.providers.spikon.recorded import API_KEY, RecordedReplies, make_provider


@pytest.mark.parametrize(
    ("version", "fmt", "api_format"), [("1.3", "xml", "1"), ("1.0.3", "json", "0")]
)
def test_requests_are_post_forms_with_the_key_in_the_body(
    version: str, fmt: str, api_format: str
) -> None:
    replies = RecordedReplies(version, int(api_format))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return replies(request)

    make_provider(handler, version=version, fmt=fmt).fetch_snapshot()
    methods = [method for method, _ in replies.requests]
    expected = ["cc_campaigns/list", "cc_monitor/show", "cc_monitor/show"]
    assert methods == ([*expected, "cc_agent/list"] if version == "1.3" else expected)
    for request, (_, form) in zip(seen, replies.requests, strict=True):
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert API_KEY not in str(request.url)
        assert form["api_key"] == API_KEY
        assert form["api_format"] == api_format
    assert [form.get("cc_campaign_id") for _, form in replies.requests[1:3]] == ["1", "2"]


def test_snapshot_from_the_manual_samples() -> None:
    snapshot = make_provider(RecordedReplies("1.3", 0)).fetch_snapshot()
    assert [q.id for q in snapshot.queues] == ["1", "2"]
    agents = {a.id: a for a in snapshot.agents}
    assert agents["1234567"].status is AgentStatus.PAUSED
    assert agents["2345678"].status is AgentStatus.IDLE
    # cc_agent/list agents that no monitor lists are offline
    assert agents["0000000"].status is AgentStatus.OFFLINE
    assert agents["0000000"].name == "Jan Kowalski"
    # agent 1 is in campaigns 1 and 2 (3 and 4 are not listed campaigns) but not monitored
    assert Membership("0000000", "1", logged_in=False) in snapshot.memberships
    assert not {m for m in snapshot.memberships if m.queue_id in ("3", "4")}


def test_a_failing_monitor_marks_only_its_part() -> None:
    replies = RecordedReplies("1.3", 0)

    def handler(request: httpx.Request) -> httpx.Response:
        if b"cc_campaign_id=2" in request.content:
            return httpx.Response(200, content=b'{"errors":{"error":{"id":"-8","text":"No"}}}')
        return replies(request)

    snapshot = make_provider(handler).fetch_snapshot()
    assert snapshot.failed == frozenset({Endpoint.QUEUES, Endpoint.AGENTS, Endpoint.CALLS})
    assert len(snapshot.errors) == 1
    assert "Infolinia" in snapshot.errors[0]
    queues = {q.id: q for q in snapshot.queues}
    assert queues["1"].calls_waiting == 0
    assert queues["2"].calls_waiting is None
    agents = {a.id: a.status for a in snapshot.agents}
    assert agents["0000000"] is AgentStatus.UNKNOWN  # maybe in the unread campaign


def test_a_failing_agent_list_marks_agents_only() -> None:
    replies = RecordedReplies("1.3", 0)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("cc_agent/list"):
            return httpx.Response(200, content=b"<html>oops</html>")
        return replies(request)

    snapshot = make_provider(handler).fetch_snapshot()
    assert snapshot.failed == frozenset({Endpoint.AGENTS})
    assert {a.id for a in snapshot.agents} == {"1234567", "2345678"}


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (
            httpx.Response(
                200, content=b'{"errors":{"error":{"id":"-3","text":"Unknown API key"}}}'
            ),
            ProviderAuthError,
        ),
        (httpx.Response(429, headers={"Retry-After": "30"}), ProviderUnavailableError),
    ],
)
def test_refused_key_or_rate_limit_on_a_monitor_stops_the_poll(
    response: httpx.Response, error: type[Exception]
) -> None:
    replies = RecordedReplies("1.3", 0)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("cc_monitor/show"):
            return response
        return replies(request)

    with pytest.raises(error):
        make_provider(handler).fetch_snapshot()


def test_capabilities_per_version() -> None:
    assert SpikonProvider.capabilities == CAPABILITIES["1.3"]
    old = make_provider(RecordedReplies(), version="1.0.3")
    new = make_provider(RecordedReplies(), version="1.3")
    assert old.capabilities == frozenset(
        {Capability.LIST_QUEUES, Capability.QUEUE_STATS, Capability.CLICK_TO_CALL}
    )
    assert new.capabilities == old.capabilities | {
        Capability.MEMBERSHIP,
        Capability.QUEUE_MEMBERSHIP_EDIT,
        Capability.DEFAULT_CAMPAIGN,
    }
    assert not old.supports(Capability.QUEUE_MEMBERSHIP_EDIT)
    assert SpikonProvider.capabilities_for({"api_version": "1.0.3"}) == old.capabilities
    assert SpikonProvider.capabilities_for({}) == new.capabilities


def test_membership_actions_use_the_agent_id_and_the_campaign_direction() -> None:
    replies = RecordedReplies("1.3", 0)
    provider = make_provider(replies)
    jan = AgentRef(id="0000000", login="0000000")
    provider.add_to_queue(jan, "2")  # in 1 and 2 inbound → inbound
    provider.remove_from_queue(jan, "2")
    provider.set_default_campaign(jan, "1")
    janina = AgentRef(id="0000001", login="0000001")
    provider.remove_from_queue(janina, "3")  # in her in_campaigns
    provider.add_to_queue(janina, "4")  # 4: in an in-list too → inbound
    calls = [(m, f.get("agent_id"), f.get("campaign_id")) for m, f in replies.requests]
    assert ("cc_in_campaign/add_agent", "1", "2") in calls
    assert ("cc_in_campaign/remove_agent", "1", "2") in calls
    assert ("cc_out_campaign/set_default", "1", "1") in calls
    assert ("cc_in_campaign/remove_agent", "2", "3") in calls
    assert ("cc_in_campaign/add_agent", "2", "4") in calls

    outbound = make_provider(replies, outbound_campaigns="4, 9")
    outbound.add_to_queue(janina, "4")
    outbound.remove_from_queue(janina, "4")
    assert replies.requests[-3][0] == "cc_out_campaign/add_agent"
    assert replies.requests[-1][0] == "cc_out_campaign/remove_agent"


def test_originate_finds_the_phone_account_by_sip_login() -> None:
    replies = RecordedReplies("1.0.3", 1)
    provider = make_provider(replies, version="1.0.3", fmt="xml")
    provider.originate(AgentRef(id="12345678", login="12345678"), " 226211245 ")
    method, form = replies.requests[-1]
    assert method == "call/initiate"
    assert form["phone_account_id"] == "1"
    assert form["destination_number"] == "226211245"


def test_unknown_agents_are_not_found() -> None:
    replies = RecordedReplies("1.3", 0)
    provider = make_provider(replies)
    nobody = AgentRef(id="nobody", login="nobody")
    with pytest.raises(ProviderNotFoundError):
        provider.originate(nobody, "226211245")
    with pytest.raises(ProviderNotFoundError):
        provider.add_to_queue(nobody, "1")
    methods = [method for method, _ in replies.requests]
    assert methods == ["phone_account/list", "cc_agent/list"]  # one look-up each, no action
