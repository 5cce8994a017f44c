"""Every SPIKON error id of both manuals maps to the right ``ProviderError`` and a clear message."""

from __future__ import annotations

import json

import httpx
import pytest

from providers.errors import (
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    ProviderUnavailableError,
    UnsupportedActionError,
)
from providers.model import Queue
from providers.spikon import parse
from tests.providers.spikon.recorded import API_KEY, load, make_provider

# The manuals' error tables: 1.0.3 has -1 … -11 and -1000, 1.3 adds -12.
ERROR_TABLE = [
    (-1, "Unknown method", UnsupportedActionError),
    (-2, "API key missing", ProviderAuthError),
    (-3, "Unknown API key", ProviderAuthError),
    (-4, "API turned off", ProviderAuthError),
    (-5, "IP address not whitelisted", ProviderAuthError),
    (-6, "Wrong value for parameter", ProviderRefusedError),
    (-7, "Parameter missing", ProviderRefusedError),
    (-8, "No elements found", ProviderNotFoundError),
    (-9, "Not ready", ProviderUnavailableError),
    (-10, "Already exist", ProviderRefusedError),
    (-11, "Forbidden", ProviderRefusedError),
    (-12, "Data in wrong format", ProviderRefusedError),
    (-1000, "General failure, please contact service!", ProviderUnavailableError),
]

READERS = [
    parse.parse_campaigns,
    lambda body, fmt: parse.parse_monitor(body, fmt, Queue(id="1", name="x")),
    parse.parse_agents,
    parse.parse_phone_accounts,
    parse.parse_call_initiate,
    parse.parse_add_agent,
    parse.parse_remove_agent,
    parse.parse_set_default,
]


def xml_error(error_id: int, text: str, desc: str | None = None) -> bytes:
    extra = f"\n<desc>{desc}</desc>" if desc else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n<error>\n<id>{error_id}</id>\n'
        f"<text>{text}</text>{extra}\n</error>\n</errors>"
    ).encode()


def json_error(error_id: int, text: str, desc: str | None = None) -> bytes:
    entry: dict[str, object] = {"id": str(error_id), "text": text}
    if desc:
        entry["desc"] = desc
    return json.dumps({"errors": {"error": entry}}).encode()


def test_the_table_covers_every_documented_id() -> None:
    assert set(parse.ERRORS) == {*range(-12, 0), -1000}
    assert {error_id for error_id, _, _ in ERROR_TABLE} == set(parse.ERRORS)


@pytest.mark.parametrize(("error_id", "text", "error_class"), ERROR_TABLE)
@pytest.mark.parametrize("fmt", [0, 1])
def test_every_error_id(
    error_id: int, text: str, error_class: type[ProviderError], fmt: int
) -> None:
    body = (json_error if fmt == 0 else xml_error)(error_id, text)
    for reader in READERS:
        with pytest.raises(error_class) as caught:
            reader(body, fmt)
        err = caught.value
        assert type(err) is error_class
        assert err.code == str(error_id)
        assert "SPIKON" in err.message.split(" SPIKON said:")[0]  # our English words first
        assert f'SPIKON said: "{text}"' in err.message  # the vendor's own words, quoted
        assert str(error_id) in str(err)


@pytest.mark.parametrize("fmt", [0, 1])
def test_desc_is_quoted(fmt: int) -> None:
    body = (json_error if fmt == 0 else xml_error)(-7, "Parameter missing", "cc_campaign_id")
    with pytest.raises(ProviderRefusedError, match="cc_campaign_id"):
        parse.parse_campaigns(body, fmt)


def test_manual_error_sample() -> None:
    body = load("1.0.3", "error_unknown_api_key", 1)
    for reader in READERS:
        with pytest.raises(ProviderAuthError) as caught:
            reader(body, 1)
        assert caught.value.code == "-3"
        assert "API key" in caught.value.message


def test_unknown_error_id_is_still_a_provider_error() -> None:
    with pytest.raises(ProviderError) as caught:
        parse.parse_campaigns(json_error(-77, "Brand new"), 0)
    assert caught.value.code == "-77"
    assert "Brand new" in caught.value.message


@pytest.mark.parametrize(
    "body",
    [
        b'{"errors":[{"id":-8,"text":"No elements found"}]}',
        b'{"errors":{"error":[{"id":"-8","text":"No elements found"},{"id":"-6"}]}}',
        b'{"error":{"id":-8,"text":"No elements found"}}',
    ],
)
def test_other_json_error_shapes(body: bytes) -> None:
    with pytest.raises(ProviderNotFoundError):
        parse.parse_campaigns(body, 0)


def test_unreadable_error_reply() -> None:
    with pytest.raises(ProviderBadResponseError):
        parse.parse_campaigns(b'{"errors":"boom"}', 0)


def test_the_api_key_never_reaches_a_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json_error(-3, "Unknown API key", f"api_key={API_KEY}"))

    provider = make_provider(handler)
    with pytest.raises(ProviderAuthError) as caught:
        provider.fetch_snapshot()
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value.args)
    assert API_KEY not in repr(provider.config)


def test_missing_key_is_an_auth_error_before_any_request() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    provider = make_provider(handler)
    provider.config = type(provider.config)(base_url="https://panel.spikon.pl")
    with pytest.raises(ProviderAuthError):
        provider.fetch_snapshot()
    assert sent == []
