"""The adapter's requests, snapshot assembly, partial failures and secrecy (mocked HTTP)."""

from __future__ import annotations

import httpx
import pytest

from providers.base import AgentRef, Capability, ListenMode
from providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    UnsupportedActionError,
)
from providers.model import AgentStatus, Endpoint
from providers.voipsun.adapter import VoipsunProvider, split_agents, split_queues
from tests.providers.voipsun.fake_voipsun import (
    PASSWORD,
    USERNAME,
    VoipsunReplies,
    fixture,
    make_provider,
)

AGENT = AgentRef(id="Agent_01", extension="1000", number="1000", pin="1234")


def test_declaration() -> None:
    assert VoipsunProvider.vendor == "voipsun"
    assert VoipsunProvider.title == "VoIPSUN"
    assert Capability.PAUSE_REASONS not in VoipsunProvider.capabilities
    assert Capability.TRANSFER not in VoipsunProvider.capabilities
    assert Capability.HANGUP in VoipsunProvider.capabilities
    fields = {f.name: f for f in VoipsunProvider.config_fields}
    assert fields["password"].secret
    assert fields["queues"].required
    assert not fields["agents"].required


def test_settings_lists() -> None:
    assert split_queues(" Fronta1, Fronta2,,Fronta1 ") == ("Fronta1", "Fronta2")
    assert split_agents("A:1000:1234, bad, B:1001:9") == {"A": ("1000", "1234"), "B": ("1001", "9")}


def test_requests_follow_the_manual() -> None:
    replies = VoipsunReplies()
    provider = make_provider(replies, queues="FrontaIT, FrontaB")
    provider.fetch_snapshot()
    assert {r.url.path for r in replies.requests} == {"/api/api.php"}
    queues = replies.params("queuestatus")
    assert [q["queueName"] for q in queues] == ["FrontaIT", "FrontaB"]
    assert queues[0]["username"] == USERNAME
    assert queues[0]["password"] == PASSWORD
    assert replies.params("listcalls")
    assert replies.params("sipstatus")


def test_snapshot_from_the_manuals_replies() -> None:
    snapshot = make_provider(VoipsunReplies()).fetch_snapshot()
    assert not snapshot.failed
    (queue,) = snapshot.queues
    assert queue.calls_waiting == 3
    assert len(snapshot.agents) == 12
    assert len(snapshot.memberships) == 12
    assert len(snapshot.waiting_calls) == 3
    assert {c.channel for c in snapshot.active_calls} == {"SIP/555-0000b70f", "SIP/550-0000b710"}


def test_agents_outside_the_queues_come_from_agentstatus() -> None:
    replies = VoipsunReplies()
    provider = make_provider(replies, agents="Agent_01:1000:1111, Nobody:2000:4321")
    snapshot = provider.fetch_snapshot()
    calls = replies.params("agentstatus")
    assert calls == [{**calls[0], "agentNumber": "2000", "agentPin": "4321"}]
    nobody = next(a for a in snapshot.agents if a.id == "Nobody")
    assert nobody.status is AgentStatus.OFFLINE


def test_logged_in_agent_in_no_queue_is_logged_in() -> None:
    replies = VoipsunReplies({"agentstatus": fixture("agentstatus_free.txt")})
    snapshot = make_provider(replies, agents="Nobody:2000:4321").fetch_snapshot()
    assert next(a for a in snapshot.agents if a.id == "Nobody").status is AgentStatus.LOGGED_IN


def test_a_failing_endpoint_marks_only_its_part() -> None:
    replies = VoipsunReplies({"listcalls": b"<html>oops</html>"})
    snapshot = make_provider(replies).fetch_snapshot()
    assert snapshot.failed == frozenset({Endpoint.CALLS})
    assert snapshot.queues
    assert len(snapshot.errors) == 1


def test_one_unknown_queue_fails_queues_but_keeps_the_others() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("queueName") == "Nope":
            return httpx.Response(200, content=b'{"success":"true","results":[]}')
        return VoipsunReplies()(request)

    snapshot = make_provider(handler, queues="FrontaIT,Nope").fetch_snapshot()
    assert Endpoint.QUEUES in snapshot.failed
    assert [q.id for q in snapshot.queues] == ["FrontaIT"]
    assert "Nope" in snapshot.errors[0]


def test_no_permission_for_one_action_fails_only_its_part() -> None:
    replies = VoipsunReplies({"sipstatus": fixture("error_100.json")})
    snapshot = make_provider(replies).fetch_snapshot()
    assert not snapshot.failed
    assert len(snapshot.agents) == 12
    assert "code 100" in snapshot.errors[0]
    replies = VoipsunReplies({"listcalls": fixture("error_100.json")})
    assert make_provider(replies).fetch_snapshot().failed == frozenset({Endpoint.CALLS})


def test_wrong_credentials_raise_auth_error_without_secrets() -> None:
    replies = VoipsunReplies(
        dict.fromkeys(["queuestatus", "listcalls", "sipstatus"], fixture("error_100.json"))
    )
    with pytest.raises(ProviderAuthError) as caught:
        make_provider(replies).fetch_snapshot()
    assert caught.value.code == "100"


def test_secrets_never_leave_in_errors_or_repr() -> None:
    echo = (
        f'{{"success":"false","errno":"580","reason":"bad {PASSWORD} {USERNAME} 98765"}}'
    ).encode()
    replies = VoipsunReplies({"agentpause": echo})
    provider = make_provider(replies)
    with pytest.raises(ProviderNotFoundError) as caught:
        provider.pause(AgentRef(id="A", number="1000", pin="98765"), None)
    text = f"{caught.value} {caught.value!r} {caught.value.message} {provider!r}"
    for secret in (PASSWORD, USERNAME, "98765"):
        assert secret not in text
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_network_errors_do_not_carry_the_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    with pytest.raises(ProviderError) as caught:
        make_provider(handler).fetch_snapshot()
    assert PASSWORD not in str(caught.value)
    provider = make_provider(handler, base_url="http://[::1")  # an invalid URL
    with pytest.raises(ProviderError) as caught:
        provider.fetch_snapshot()
    assert PASSWORD not in str(caught.value)


# ------------------------------------------------------------------ actions


@pytest.mark.parametrize(
    ("call", "action", "expected"),
    [
        (lambda p: p.pause(AGENT, None), "agentpause", {"agentNumber": "1000", "agentPin": "1234"}),
        (lambda p: p.unpause(AGENT), "agentunpause", {"agentNumber": "1000", "agentPin": "1234"}),
        (
            lambda p: p.agent_login(AGENT, "100"),
            "agentlogin",
            {"srcExtenInternalNum": "100", "agentNumber": "1000", "agentPin": "1234"},
        ),
        (lambda p: p.agent_logout(AGENT), "agentlogout", {"agentNumber": "1000"}),
        (
            lambda p: p.add_to_queue(AGENT, "FrontaIT", 1),
            "agentadd",
            {"agentNumber": "1000", "agentPin": "1234", "queueName": "FrontaIT", "penalty": "1"},
        ),
        (
            lambda p: p.remove_from_queue(AGENT, "FrontaIT"),
            "agentremove",
            {"agentNumber": "1000", "agentPin": "1234", "queueName": "FrontaIT"},
        ),
        (
            lambda p: p.listen(AGENT, "100", ListenMode.SPY, call_id="SIP/102-00000001"),
            "spying",
            {"srcExtenInternalNum": "100", "dstChannelName": "SIP/102-00000001"},
        ),
        (
            lambda p: p.listen(AGENT, "100", ListenMode.SPY),
            "spying",
            {"srcExtenInternalNum": "100", "dstExtenInternalNum": "1000"},
        ),
        (
            lambda p: p.hangup(channel="SIP/5555-0000b704"),
            "hangupcall",
            {"channelName": "SIP/5555-0000b704"},
        ),
        (
            lambda p: p.hangup(agent=AgentRef(id="x", extension="555")),
            "hangupcall",
            {"channelName": "SIP/555-0000b70f"},
        ),
        (
            lambda p: p.originate(AGENT, "800123456"),
            "originate",
            {"srcExtenInternalNum": "1000", "dstNum": "800123456"},
        ),
    ],
)
def test_actions_send_the_documented_parameters(call, action, expected) -> None:  # type: ignore[no-untyped-def]
    replies = VoipsunReplies()
    call(make_provider(replies))
    (params,) = replies.params(action)
    assert params.items() >= expected.items()
    assert params["username"] == USERNAME


@pytest.mark.parametrize("penalty", [-1, 1001, True, "1"])
def test_penalty_is_validated(penalty: object) -> None:
    replies = VoipsunReplies()
    with pytest.raises(ProviderRefusedError):
        make_provider(replies).add_to_queue(AGENT, "FrontaIT", penalty)  # type: ignore[arg-type]
    assert not replies.requests


def test_actions_need_number_and_pin() -> None:
    with pytest.raises(ProviderRefusedError):
        make_provider(VoipsunReplies()).pause(AgentRef(id="A", number="1000"), None)


def test_pin_from_the_account_settings() -> None:
    replies = VoipsunReplies()
    make_provider(replies, agents="A:1000:4321").unpause(AgentRef(id="A"))
    assert replies.params("agentunpause")[0]["agentPin"] == "4321"


def test_only_plain_listening() -> None:
    with pytest.raises(UnsupportedActionError):
        make_provider(VoipsunReplies()).listen(AGENT, "100", ListenMode.BARGE)


def test_originate_validates_the_number() -> None:
    with pytest.raises(ProviderRefusedError):
        make_provider(VoipsunReplies()).originate(AGENT, "800; DROP")


def test_hangup_of_an_agent_without_a_call() -> None:
    with pytest.raises(ProviderNotFoundError):
        make_provider(VoipsunReplies()).hangup(agent=AgentRef(id="x", extension="777"))


def test_documented_errors_of_actions() -> None:
    replies = VoipsunReplies(
        {
            "agentpause": b'{"success":"false","errno":"580",'
            b'"reason":"Agent not found, or bad authorization credentials!"}'
        }
    )
    with pytest.raises(ProviderNotFoundError, match="PIN"):
        make_provider(replies).pause(AGENT, None)
