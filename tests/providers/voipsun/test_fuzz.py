"""Hostile and mutated replies: parsing raises only ``ProviderError``, never anything else."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.errors import ProviderError
from providers.voipsun import parse
from tests.providers.voipsun.fake_voipsun import VoipsunReplies, fixture, make_provider

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

PARSERS: list[Callable[[bytes], object]] = [
    lambda body: parse.parse_queue_status(body, "FrontaIT"),
    parse.parse_sip_status,
    parse.parse_agent_status,
    parse.parse_channels,
    lambda body: parse.parse_list_calls(body, now=NOW),
    parse.check_action,
]

FIXTURES = [
    "queuestatus.json",
    "listcalls.json",
    "sipstatus.json",
    "agentlogin.json",
    "error_100.json",
    "error_301.json",
]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def _only_provider_errors(body: bytes) -> None:
    for read in PARSERS:
        with contextlib.suppress(ProviderError):
            read(body)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes(body: bytes) -> None:
    _only_provider_errors(body)


@given(JSON)
def test_arbitrary_json(value: object) -> None:
    _only_provider_errors(json.dumps(value).encode())


def _mutate(value: Any, replacement: object, path: list[int]) -> Any:
    """Replace one node of ``value`` (chosen by ``path``) with ``replacement``."""
    if not path:
        return replacement
    step, rest = path[0], path[1:]
    if isinstance(value, dict) and value:
        key = sorted(value)[step % len(value)]
        return {**value, key: _mutate(value[key], replacement, rest)}
    if isinstance(value, list) and value:
        index = step % len(value)
        return [*value[:index], _mutate(value[index], replacement, rest), *value[index + 1 :]]
    return replacement


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    st.sampled_from(FIXTURES),
    JSON,
    st.lists(st.integers(min_value=0, max_value=50), max_size=6),
)
def test_mutated_fixtures(name: str, replacement: object, path: list[int]) -> None:
    original = json.loads(fixture(name))
    _only_provider_errors(json.dumps(_mutate(original, replacement, path)).encode())


@given(
    st.sampled_from([f"agentstatus_{n}.txt" for n in ("free", "busy", "logged_out")]),
    st.integers(min_value=0, max_value=80),
    st.binary(max_size=5),
)
def test_mutated_agentstatus_bytes(name: str, at: int, insert: bytes) -> None:
    body = fixture(name)
    _only_provider_errors(body[:at] + insert + body[at + 1 :])


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["queuestatus", "listcalls", "sipstatus"]), st.binary(max_size=300))
def test_the_adapter_survives_any_reply(action: str, body: bytes) -> None:
    replies = VoipsunReplies({action: body})
    provider = make_provider(replies)
    try:
        provider.fetch_snapshot()
    except ProviderError:
        pass
    finally:
        provider.close()


def test_deep_nesting_is_a_bad_response() -> None:
    _only_provider_errors(b"[" * 100_000)
    _only_provider_errors(b'{"success":"true","results":' + b"[" * 50_000)


def test_members_of_the_wrong_type() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"success":"true","results":[{"members":7}]}')

    provider = make_provider(handler)
    with contextlib.suppress(ProviderError):
        provider.fetch_snapshot()
