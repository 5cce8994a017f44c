"""Daktela's error texts and HTTP failures become the right ``ProviderError``."""

from __future__ import annotations

import httpx
import pytest

from providers.base import AgentRef
from providers.daktela import parse
from providers.errors import (
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    ProviderUnavailableError,
)
from tests.providers.daktela.fake_daktela import (
    LOGIN,
    PASSWORD,
    TOKEN,
    DaktelaReplies,
    load,
    make_provider,
)

AGENT = AgentRef(id="4", login="michalhajek", extension="100")


@pytest.mark.parametrize(
    ("fixture", "error", "meaning", "vendor_text"),
    [
        ("GetUser_bad_token.json", ProviderAuthError, "login and password", "Uživatel neexistuje"),
        ("PauseOn_not_found.json", ProviderNotFoundError, "pause", "Tato pauza nebyla nalezena"),
        (
            "LogoutQueue_refused.json",
            ProviderRefusedError,
            "call in it is in progress",
            "Nelze se odhlasit z fronty/kampaně, ve které probíhá hovor s číslem 468008585",
        ),
        (
            "CreateCall_not_logged_in.json",
            ProviderRefusedError,
            "not logged into an outbound",
            "Agent není přihlášen do odchozí kampaně/fronty",
        ),
        ("ActivityClose_state_missing.json", ProviderNotFoundError, "state", "Stav neexistuje"),
        (
            "EmailCreate_wrong_queue_type.json",
            ProviderRefusedError,
            "not an e-mail queue",
            "Zadana fronta neni typu email",
        ),
    ],
)
def test_documented_error_texts(
    fixture: str, error: type[ProviderError], meaning: str, vendor_text: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        parse.parse_action(load(fixture))
    assert type(caught.value) is error
    assert meaning in caught.value.message
    assert f"“{vendor_text}”" in caught.value.message  # the vendor's own words, quoted


def test_unknown_error_text_is_a_plain_provider_error_carrying_it() -> None:
    body = '{"error":"Něco se pokazilo","status":0}'.encode()
    with pytest.raises(ProviderError) as caught:
        parse.parse_action(body)
    assert type(caught.value) is ProviderError
    assert "Něco se pokazilo" in caught.value.message


@pytest.mark.parametrize(
    "body",
    [b'{"status":0}', b'{"status":0,"error":null}', b'{"status":"0","error":""}'],
)
def test_failure_without_text(body: bytes) -> None:
    with pytest.raises(ProviderError, match="without saying why"):
        parse.parse_action(body)


def test_error_text_is_cleaned_and_bounded() -> None:
    body = ('{"status":0,"error":"bad\\u0000\\n' + "x" * 5000 + '"}').encode()
    with pytest.raises(ProviderError) as caught:
        parse.parse_action(body)
    assert "\x00" not in caught.value.message
    assert len(caught.value.message) < 500


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>502</html>", b"{", b"[]", b'{"result":1}', b"\xff\xfe", b'{"status":1} trailing'],
)
def test_unreadable_replies_are_bad_responses(body: bytes) -> None:
    with pytest.raises(ProviderBadResponseError):
        parse.parse_action(body)


# ------------------------------------------------------------------ over HTTP


def fetch_with(response: httpx.Response | Exception) -> ProviderError:
    provider = make_provider(DaktelaReplies(overrides=dict.fromkeys(ACTIONS, response)))
    with pytest.raises(ProviderError) as caught:
        provider.fetch_snapshot()
    return caught.value


ACTIONS = ("GetQueues", "RTStatsQueues", "GetPauses", "RTUsersState", "RTStatsCalls")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_unavailable(status: int) -> None:
    err = fetch_with(httpx.Response(status))
    assert isinstance(err, ProviderUnavailableError)
    assert err.code == str(status)


@pytest.mark.parametrize("status", [401, 403])
def test_http_auth_failures_are_auth_errors(status: int) -> None:
    assert isinstance(fetch_with(httpx.Response(status)), ProviderAuthError)


def test_http_404_is_a_bad_response() -> None:
    assert isinstance(fetch_with(httpx.Response(404)), ProviderBadResponseError)


def test_timeouts_and_refused_connections_are_unavailable() -> None:
    request = httpx.Request("GET", "https://MojeVU.daktela.com/")
    assert isinstance(
        fetch_with(httpx.ReadTimeout("slow", request=request)), ProviderUnavailableError
    )
    assert isinstance(
        fetch_with(httpx.ConnectError("no", request=request)), ProviderUnavailableError
    )


def test_rate_limit_carries_retry_after_and_stops_the_poll() -> None:
    replies = DaktelaReplies(
        overrides={"GetQueues": httpx.Response(429, headers={"Retry-After": "30"})}
    )
    with pytest.raises(ProviderUnavailableError) as caught:
        make_provider(replies).fetch_snapshot()
    assert caught.value.retry_after_s == 30.0
    assert len(replies.requests) == 1  # nothing more is sent once the vendor says "slow down"


def test_wrong_credentials_raise_auth_error_with_the_vendor_text() -> None:
    replies = DaktelaReplies(overrides={"RTUsersState": load("GetUser_bad_token.json")})
    with pytest.raises(ProviderAuthError, match="Uživatel neexistuje"):
        make_provider(replies).fetch_snapshot()


def test_action_errors_reach_the_caller() -> None:
    replies = DaktelaReplies(overrides={"PauseOn": load("PauseOn_not_found.json")})
    with pytest.raises(ProviderNotFoundError):
        make_provider(replies).pause(AGENT, "100")
    replies = DaktelaReplies(overrides={"LogoutQueue": load("LogoutQueue_refused.json")})
    with pytest.raises(ProviderRefusedError):
        make_provider(replies).remove_from_queue(AGENT, "4")


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500),
        httpx.Response(200, content=load("GetUser_bad_token.json")),
        httpx.Response(200, content=b"<html/>"),
    ],
)
def test_credentials_never_appear_in_messages_or_reprs(response: httpx.Response) -> None:
    provider = make_provider(DaktelaReplies(overrides=dict.fromkeys(ACTIONS, response)))
    with pytest.raises(ProviderError) as caught:
        provider.fetch_snapshot()
    shown = " ".join([str(caught.value), repr(caught.value), repr(provider), repr(provider.config)])
    for secret in (PASSWORD, TOKEN, LOGIN + PASSWORD):
        assert secret not in shown
