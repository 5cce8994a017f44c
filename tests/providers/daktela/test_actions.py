"""Supervisor actions send the manual's actions with the manual's parameters."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from providers.base import AgentRef, Capability, ListenMode, TransferKind
from providers.daktela.adapter import API_VERSIONS, LONG_POLL_TIMEOUT_S, DaktelaProvider
from providers.errors import (
    ProviderNotFoundError,
    ProviderRefusedError,
    UnsupportedActionError,
)
from providers.http import make_client
from providers.model import AgentStatus
from tests.providers.daktela.fake_daktela import DaktelaReplies, make_config, make_provider

AGENT = AgentRef(id="4", login="michalhajek", extension="100")
NO_LOGIN = AgentRef(id="9", extension="300")


@pytest.fixture
def replies() -> DaktelaReplies:
    return DaktelaReplies()


@pytest.fixture
def provider(replies: DaktelaReplies) -> DaktelaProvider:
    return make_provider(replies)


def test_declaration() -> None:
    assert (DaktelaProvider.vendor, DaktelaProvider.title) == ("daktela", "Daktela")
    assert Capability.DEFAULT_CAMPAIGN not in DaktelaProvider.capabilities
    assert len(DaktelaProvider.capabilities) == len(Capability) - 1
    fields = {f.name: f for f in DaktelaProvider.config_fields}
    assert fields["password"].secret
    assert not fields["login"].secret
    assert fields["api_version"].default == "4.1"
    assert fields["api_version"].choices == API_VERSIONS
    assert (fields["format"].default, fields["format"].choices) == ("json", ("json", "xml"))
    assert (fields["instant_agents"].default, fields["instant_agents"].choices) == (
        "yes",
        ("yes", "no"),
    )
    assert not fields["format"].required
    assert not fields["instant_agents"].required


def test_pause_and_unpause(provider: DaktelaProvider, replies: DaktelaReplies) -> None:
    provider.pause(AGENT, "7")
    assert replies.params("PauseOn") == {"user": "michalhajek", "pause": "7"}
    provider.pause(AGENT, "7", force=True)
    assert replies.params("PauseOn") == {"user": "michalhajek", "pause": "7", "force": "yes"}
    provider.pause(NO_LOGIN, "4")
    assert replies.params("PauseOn") == {"extension": "300", "pause": "4"}
    provider.unpause(AGENT)
    assert replies.params("PauseOff") == {"user": "michalhajek"}


def test_pause_needs_a_reason(provider: DaktelaProvider) -> None:
    with pytest.raises(ProviderRefusedError):
        provider.pause(AGENT, None)


@pytest.mark.parametrize("mode", list(ListenMode))
def test_listen(provider: DaktelaProvider, replies: DaktelaReplies, mode: ListenMode) -> None:
    provider.listen(AGENT, "200", mode)
    assert replies.params("Monitoring") == {
        "user": "michalhajek",
        "listener": "200",
        "mode": mode.value,
    }


@pytest.mark.parametrize(
    ("target", "param"),
    [
        ({"number": "800123456"}, ("number", "800123456")),
        ({"queue_id": "4"}, ("dst_queue", "4")),
        ({"user_id": "3"}, ("dst_user", "3")),
    ],
)
def test_transfer(
    provider: DaktelaProvider,
    replies: DaktelaReplies,
    target: dict[str, str],
    param: tuple[str, str],
) -> None:
    provider.transfer(
        AGENT,
        kind=TransferKind.BLIND,
        number=target.get("number"),
        queue_id=target.get("queue_id"),
        user_id=target.get("user_id"),
    )
    assert replies.params("Transfer") == {
        "user": "michalhajek",
        "type": "blind",
        param[0]: param[1],
    }


@pytest.mark.parametrize("targets", [{}, {"number": "1", "queue_id": "4"}])
def test_transfer_needs_exactly_one_target(
    provider: DaktelaProvider, targets: dict[str, str]
) -> None:
    with pytest.raises(ProviderRefusedError):
        provider.transfer(AGENT, number=targets.get("number"), queue_id=targets.get("queue_id"))


def test_hangup(provider: DaktelaProvider, replies: DaktelaReplies) -> None:
    provider.hangup(agent=AGENT)
    assert replies.params("Hangup") == {"user": "michalhajek"}
    provider.hangup(agent=NO_LOGIN)
    assert replies.params("Hangup") == {"extension": "300"}
    provider.hangup(agent=AGENT, call_id="1404828279.15208")
    assert replies.params("Hangup") == {"call": "1404828279.15208"}
    with pytest.raises(ProviderRefusedError):
        provider.hangup(channel="SIP/200-0000009f")


def test_queue_membership_uses_the_queue_number(
    provider: DaktelaProvider, replies: DaktelaReplies
) -> None:
    provider.fetch_snapshot()
    provider.add_to_queue(AGENT, "4", penalty=0)
    assert replies.params("LoginQueue") == {"user": "michalhajek", "priority": "0", "queue": "2002"}
    provider.add_to_queue(AGENT, "1")
    assert replies.params("LoginQueue") == {"user": "michalhajek", "queue": "2000"}
    provider.remove_from_queue(AGENT, "4")
    assert replies.params("LogoutQueue") == {"user": "michalhajek", "queue": "2002"}


def test_queue_number_is_fetched_when_unknown(
    provider: DaktelaProvider, replies: DaktelaReplies
) -> None:
    provider.remove_from_queue(AGENT, "3")
    assert [r.url.path for r in replies.requests] == [
        "/api/4.1/GetQueues/3/json",
        "/api/4.1/LogoutQueue/json",
    ]
    assert replies.params("LogoutQueue")["queue"] == "1002"
    provider.add_to_queue(AGENT, "3")  # remembered: no second GetQueues
    assert len(replies.requests) == 3
    with pytest.raises(ProviderNotFoundError):
        provider.add_to_queue(AGENT, "999")


@pytest.mark.parametrize("priority", [-1, 3, 10, True])
def test_priority_must_be_0_to_2(provider: DaktelaProvider, priority: int) -> None:
    with pytest.raises(ProviderRefusedError, match="0 \\(high\\), 1 or 2 \\(low\\)"):
        provider.add_to_queue(AGENT, "4", penalty=priority)


def test_membership_and_login_need_a_login(provider: DaktelaProvider) -> None:
    actions: list[Callable[[], None]] = [
        lambda: provider.add_to_queue(NO_LOGIN, "4"),
        lambda: provider.remove_from_queue(NO_LOGIN, "4"),
        lambda: provider.agent_login(NO_LOGIN),
        lambda: provider.agent_logout(NO_LOGIN),
        lambda: provider.listen(NO_LOGIN, "200", ListenMode.SPY),
        lambda: provider.pickup(NO_LOGIN, "1.2"),
    ]
    for action in actions:
        with pytest.raises(ProviderNotFoundError):
            action()


def test_agent_login_logout(provider: DaktelaProvider, replies: DaktelaReplies) -> None:
    provider.agent_login(AGENT)
    assert replies.params("Login") == {"user": "michalhajek", "extension": "100"}
    provider.agent_login(AGENT, extension="555")
    assert replies.params("Login") == {"user": "michalhajek", "extension": "555"}
    provider.agent_logout(AGENT)
    assert replies.params("Logout") == {"user": "michalhajek"}


def test_originate(provider: DaktelaProvider, replies: DaktelaReplies) -> None:
    provider.originate(AGENT, "800123456")  # the manual's reply with a stray "}" is accepted
    assert replies.params("CreateCall") == {"user": "michalhajek", "number": "800123456"}
    provider.originate(NO_LOGIN, "800123456")
    assert replies.params("CreateCall") == {"extension": "300", "number": "800123456"}


def test_pickup(provider: DaktelaProvider, replies: DaktelaReplies) -> None:
    provider.pickup(AgentRef(id="5", login="pavelmoravec"), "1404828279.15208")
    assert replies.params("PickupFromQueue") == {
        "call_id": "1404828279.15208",
        "user": "pavelmoravec",
    }


def test_actions_newer_than_the_account_version_are_refused_locally() -> None:
    replies = DaktelaReplies()
    provider = make_provider(replies, api_version="3.3")
    with pytest.raises(UnsupportedActionError, match=r"needs API version 3\.4"):
        provider.agent_login(AGENT)
    with pytest.raises(UnsupportedActionError, match=r"needs API version 4\.0"):
        provider.pickup(AGENT, "1.2")
    assert replies.requests == []


def test_action_paths(provider: DaktelaProvider, replies: DaktelaReplies) -> None:
    provider.unpause(AGENT)
    [request] = replies.requests
    assert request.url.path == "/api/4.1/PauseOff/json"
    assert request.method == "GET"


def test_a_record_id_cannot_escape_the_path(
    provider: DaktelaProvider, replies: DaktelaReplies
) -> None:
    replies.overrides["GetQueues"] = httpx.Response(
        200, content=b'{"status":1,"error":null,"result":null}'
    )
    with pytest.raises(ProviderNotFoundError):
        provider.remove_from_queue(AGENT, "../../Logout")
    assert replies.requests[0].url.raw_path.startswith(b"/api/4.1/GetQueues/..%2F..%2FLogout/json")


def test_user_state_and_its_long_poll(provider: DaktelaProvider, replies: DaktelaReplies) -> None:
    provider.fetch_snapshot()  # learns the pauses: pause 2 is a wrap pause
    state = provider.user_state(AgentRef(id="4", login="hajek"))
    assert replies.params("RTUserState") == {"user": "hajek"}
    assert state.agents[0].status is AgentStatus.WRAP_UP
    assert state.hash == "ea8c9c6ec59a0c6d5ba4711d63105cb049dbd279"
    provider.user_state(AgentRef(id="4", login="hajek"), previous_hash=state.hash)
    assert replies.params("RTUserState") == {"user": "hajek", "hash": state.hash}


def test_long_poll_client_waits_longer_and_is_closed() -> None:
    provider = DaktelaProvider(make_config())
    assert provider.client.timeout.read == provider.config.timeout_s
    provider._long_poll_client = long_poll = make_client(LONG_POLL_TIMEOUT_S)
    assert long_poll.timeout.read == LONG_POLL_TIMEOUT_S >= 70
    provider.close()
    assert long_poll.is_closed
