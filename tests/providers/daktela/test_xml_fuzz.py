"""Whatever XML (or not-XML) arrives on an ``format: xml`` account, the parsers raise only
``ProviderError`` subclasses or return valid model objects; well-formed XML in the
simulator's shape reads back as the JSON it was written from."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.daktela import parse
from providers.errors import ProviderError
from tests.providers.daktela.fake_daktela import load
from tests.providers.daktela.test_fuzz import (
    FIXTURE_FOR,
    NOW,
    PRAGUE,
    _paths,
    check_model,
    json_values,
)
from tests.providers.daktela.xml_replies import render

XML_PARSERS: dict[str, Callable[[bytes], object]] = {
    "GetQueues": lambda body: parse.parse_get_queues(body, fmt="xml"),
    "RTStatsQueues": lambda body: parse.parse_rt_stats_queues(body, fmt="xml"),
    "GetPauses": lambda body: parse.parse_get_pauses(body, fmt="xml"),
    "RTUsersState": lambda body: parse.parse_rt_users_state(body, PRAGUE, fmt="xml"),
    "RTUserState": lambda body: parse.parse_rt_user_state(body, PRAGUE, fmt="xml"),
    "RTStatsCalls": lambda body: parse.parse_rt_stats_calls(body, PRAGUE, NOW, fmt="xml"),
    "DeviceStates": lambda body: parse.parse_device_states(body, fmt="xml"),
    "action": lambda body: parse.parse_action(body, fmt="xml"),
}


def run_all(body: bytes) -> None:
    for name, parser in XML_PARSERS.items():
        try:
            result = parser(body)
        except ProviderError:
            continue
        if name != "action":
            check_model(result)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes(body: bytes) -> None:
    run_all(body)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_values_as_whole_replies(value: Any) -> None:
    envelope = value if isinstance(value, dict) else {"result": value}
    run_all(render(envelope))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_results_in_a_valid_envelope(value: Any) -> None:
    run_all(render({"status": 1, "error": None, "result": value}))


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(XML_PARSERS)))
    reply, _end = json.JSONDecoder().raw_decode(load(FIXTURE_FOR[name]).decode())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(reply)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = reply
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return name, render(reply)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fixtures())
def test_mutated_fixtures(case: tuple[str, bytes]) -> None:
    name, body = case
    try:
        result = XML_PARSERS[name](body)
    except ProviderError:
        return
    if name != "action":
        check_model(result)


# Hand-rolled XML: tags the parsers look for, keyed items, entities, DTDs, CDATA, junk.
TAGS = ["response", "status", "error", "result", "item", "queue", "id_agent", "agent_state",
        "calls", "login_oqueues", "id_call", "state", "exten", "hash", "x:y", "1"]  # fmt: skip
FRAGMENTS = ["&amp;", "&lol;", "&#0;", "&#x41;", "<![CDATA[<item>]]>", "<!-- c -->", "<?pi x?>",
             '<!DOCTYPE response [<!ENTITY lol "lol">]>', "1", "Idle", "Paused", " ", "\x00",
             "é", "]]>", "<", "&"]  # fmt: skip


@st.composite
def xml_texts(draw: st.DrawFn, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        kind = draw(st.integers(min_value=0, max_value=3))
        if kind == 0 or depth >= 3:
            parts.append(draw(st.sampled_from(FRAGMENTS) | st.text(max_size=6)))
        else:
            tag = draw(st.sampled_from(TAGS))
            key = draw(st.none() | st.sampled_from(["1", "4", "", "a b", "&amp;"]))
            attrs = f' key="{key}"' if key is not None else ""
            inner = draw(xml_texts(depth + 1))
            closing = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", "", "</other>"]))
            parts.append(f"<{tag}{attrs}>{inner}{closing}")
    return "".join(parts)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(xml_texts(), st.booleans())
def test_hand_rolled_xml(inner: str, declared: bool) -> None:
    prolog = '<?xml version="1.0" encoding="UTF-8"?>' if declared else ""
    run_all(f"{prolog}<response>{inner}</response>".encode())
    run_all(f"{prolog}{inner}".encode())


# ------------------------------------------------------------------ the shape, both ways

KEYS = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=8
).filter(lambda key: key != "item")  # a key "item" would read as a list entry
TEXTS = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]))
roundtrip_values = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXTS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


def as_xml_reads_it(value: Any) -> Any:
    """What the XML path gives for a JSON value: text for scalars, nothing for empties."""
    if isinstance(value, dict):
        return {str(k): as_xml_reads_it(v) for k, v in value.items()} or None
    if isinstance(value, list):
        return [as_xml_reads_it(v) for v in value] or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return None
    return str(value)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(roundtrip_values)
def test_the_simulator_shape_reads_back(value: Any) -> None:
    body = render({"status": 1, "error": None, "result": value})
    assert parse.check_envelope(body, "xml") == as_xml_reads_it(value)
