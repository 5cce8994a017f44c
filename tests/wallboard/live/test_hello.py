"""What a TV may send (ADR 027): exactly a hello or a page turn, within bounds; anything else
is ``BadReport`` — never another exception, never a value out of bounds."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wallboard.live.hello import (
    MAX_DPR,
    MAX_PAGES,
    MAX_PIXELS,
    MAX_REPORT_CHARS,
    MAX_UA_CHARS,
    MIN_DPR,
    BadReport,
    Report,
    Screen,
    parse_report,
)

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
HELLO = {
    "screen_w": 1366,
    "screen_h": 768,
    "dpr": 1,
    "viewport_w": 1366,
    "viewport_h": 768,
    "ua": UA,
    "page": 1,
    "pages": 3,
}


def _parsed(data: Any) -> Report:
    return parse_report(json.dumps(data))


def test_a_hello_and_a_page_turn_are_read() -> None:
    assert _parsed(HELLO) == Report(screen=Screen(1366, 768, 1.0, 1366, 768, UA), page=(1, 3))
    assert _parsed({"page": 2, "pages": 3}).page_text == "2 / 3"
    without_page = {k: v for k, v in HELLO.items() if k not in ("page", "pages")}
    assert _parsed(without_page).page is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, "not a text frame"),
        (b"{}", "not a text frame"),
        ("x" * (MAX_REPORT_CHARS + 1), "longer than"),
        ("{", "not JSON"),
        ("[" * 1020 + "]" * 1020, "not JSON"),  # deeper than Python may recurse
        ("[1, 2]", "not a JSON object"),
        ('{"page": NaN, "pages": 2}', "not a number: NaN"),
        ('{"page": 1}', "not the keys"),
        ('{"page": 1, "pages": 2, "evil": 1}', "not the keys"),
        ('{"page": 3, "pages": 2}', "page is not a whole number from 1 to 2"),
        ('{"page": true, "pages": 2}', "page is not a whole number"),
        ('{"page": 1.0, "pages": 2}', "page is not a whole number"),
        ('{"page": 1, "pages": 1000}', "pages is not a whole number from 1 to 999"),
    ],
)
def test_what_is_not_a_report_says_why(text: Any, reason: str) -> None:
    with pytest.raises(BadReport, match=reason):
        parse_report(text)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"screen_w": 0}, "screen_w"),
        ({"viewport_h": MAX_PIXELS + 1}, "viewport_h"),
        ({"dpr": 0.1}, "dpr is not from"),
        ({"dpr": "2"}, "dpr is not a number"),
        ({"dpr": 1e999}, "not a number: Infinity"),
        ({"ua": ""}, "ua is not a text"),
        ({"ua": "x" * (MAX_UA_CHARS + 1)}, "ua is not a text"),
        ({"ua": "Chrome\nFAKE LOG LINE"}, "control characters"),
        ({"ua": ["Chrome"]}, "ua is not a text"),
    ],
)
def test_a_hello_out_of_bounds_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadReport, match=reason):
        _parsed({**HELLO, **changes})


def _check(report: Report) -> None:
    """Whatever is accepted is within the bounds the database and the editor rely on."""
    if report.page is not None:
        page, pages = report.page
        assert 1 <= page <= pages <= MAX_PAGES
    if report.screen is not None:
        s = report.screen
        for side in (s.screen_w, s.screen_h, s.viewport_w, s.viewport_h):
            assert type(side) is int
            assert 1 <= side <= MAX_PIXELS
        assert math.isfinite(s.dpr)
        assert MIN_DPR <= s.dpr <= MAX_DPR
        assert 1 <= len(s.ua) <= MAX_UA_CHARS
        assert s.ua.isprintable()
    assert report.screen is not None or report.page is not None


def _parse_or_refuse(text: Any) -> None:
    try:
        report = parse_report(text)
    except BadReport:
        return
    _check(report)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
KEYS = st.sampled_from([*HELLO, "extra", ""])
VALUES = (
    st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | st.text(max_size=600)
    | st.lists(st.integers(), max_size=3)
)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=3000) | st.binary(max_size=100))
def test_any_text_is_a_report_or_refused(text: str | bytes) -> None:
    _parse_or_refuse(text)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_any_json_is_a_report_or_refused(data: Any) -> None:
    _parse_or_refuse(json.dumps(data))


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=9), st.booleans())
def test_near_hellos_are_a_report_or_refused(data: dict[str, Any], from_hello: bool) -> None:
    """Objects of the report's own keys with any values, alone or over a good hello."""
    _parse_or_refuse(json.dumps({**HELLO, **data} if from_hello else data))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, MAX_PIXELS),
    st.integers(1, MAX_PIXELS),
    st.floats(MIN_DPR, MAX_DPR),
    st.text(min_size=1, max_size=MAX_UA_CHARS).filter(str.isprintable),
    st.integers(1, MAX_PAGES).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
)
def test_every_hello_within_bounds_is_read(
    w: int, h: int, dpr: float, ua: str, page: tuple[int, int]
) -> None:
    hello = {"screen_w": w, "screen_h": h, "dpr": dpr, "viewport_w": h, "viewport_h": w}
    report = _parsed({**hello, "ua": ua, "page": page[0], "pages": page[1]})
    assert report.screen == Screen(w, h, round(dpr, 3), h, w, ua)
    assert report.page == page
