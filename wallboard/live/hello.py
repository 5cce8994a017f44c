"""What a TV may tell the server over its socket (ADR 027), checked strictly: anything that
is not exactly one of these two messages is ``BadReport``, which the consumer logs once and
otherwise ignores — it never reaches the database.

- The hello, once per socket after it opens: the screen in CSS pixels, its pixel ratio, the
  browser's window, the User-Agent, and the page it shows::

      {"screen_w": 1366, "screen_h": 768, "dpr": 1, "viewport_w": 1366,
       "viewport_h": 768, "ua": "Mozilla/5.0 …", "page": 1, "pages": 1}

- A page turn (at most one per turn; a board turns every 5 s at the fastest)::

      {"page": 2, "pages": 3}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

# A report is a few hundred characters; what is longer is not parsed at all.
MAX_REPORT_CHARS = 2048
MAX_PIXELS = 16_384  # CSS pixels of a side: 8K is 7,680
MAX_PAGES = 999
MIN_DPR, MAX_DPR = 0.25, 16.0
MAX_UA_CHARS = 512  # TvLink.user_agent

_SCREEN_KEYS = frozenset({"screen_w", "screen_h", "dpr", "viewport_w", "viewport_h", "ua"})
_PAGE_KEYS = frozenset({"page", "pages"})
_SHAPES = (_PAGE_KEYS, _SCREEN_KEYS, _SCREEN_KEYS | _PAGE_KEYS)


class BadReport(ValueError):
    """Not a report a TV sends; the message says which rule it broke (never its text)."""


@dataclass(frozen=True)
class Screen:
    screen_w: int
    screen_h: int
    dpr: float
    viewport_w: int
    viewport_h: int
    ua: str


@dataclass(frozen=True)
class Report:
    screen: Screen | None  # only in a hello
    page: tuple[int, int] | None  # (page, pages)

    @property
    def page_text(self) -> str:
        return f"{self.page[0]} / {self.page[1]}" if self.page else ""


def _refuse_constant(name: str) -> Any:
    raise BadReport(f"not a number: {name}")


def _int(data: dict[str, Any], key: str, most: int) -> int:
    value = data[key]
    # bool is an int in Python; true is no screen size.
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise BadReport(f"{key} is not a whole number from 1 to {most}")
    return value


def _dpr(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise BadReport("dpr is not a number")
    if not (math.isfinite(value) and MIN_DPR <= value <= MAX_DPR):
        raise BadReport(f"dpr is not from {MIN_DPR} to {MAX_DPR}")
    return round(float(value), 3)


def _ua(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_UA_CHARS:
        raise BadReport(f"ua is not a text of 1 to {MAX_UA_CHARS} characters")
    if not value.isprintable():
        raise BadReport("ua has control characters")
    return value


def parse_report(text: str | bytes | None) -> Report:
    """The report in ``text``, or ``BadReport``: a JSON object of exactly the keys of a
    hello or of a page turn, each within its bounds."""
    if not isinstance(text, str):
        raise BadReport("not a text frame")
    if len(text) > MAX_REPORT_CHARS:
        raise BadReport(f"longer than {MAX_REPORT_CHARS} characters")
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:  # BadReport is a ValueError too
        raise BadReport(str(err) if isinstance(err, BadReport) else "not JSON") from None
    if not isinstance(data, dict):
        raise BadReport("not a JSON object")
    if frozenset(data) not in _SHAPES:
        raise BadReport("not the keys of a hello or a page turn")
    page = None
    if "page" in data:
        pages = _int(data, "pages", MAX_PAGES)
        page = (_int(data, "page", pages), pages)
    screen = None
    if "ua" in data:
        screen = Screen(
            screen_w=_int(data, "screen_w", MAX_PIXELS),
            screen_h=_int(data, "screen_h", MAX_PIXELS),
            dpr=_dpr(data["dpr"]),
            viewport_w=_int(data, "viewport_w", MAX_PIXELS),
            viewport_h=_int(data, "viewport_h", MAX_PIXELS),
            ua=_ua(data["ua"]),
        )
    return Report(screen=screen, page=page)
