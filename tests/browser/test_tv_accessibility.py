"""Status is never told by colour alone, and every colour is readable (issue 11 §5, ADR 015):
computed in a real Chromium from the styles the TV really applies, in every theme.

- WCAG 2.2 contrast (1.4.3 text, 1.4.11 graphics): relative luminance of sRGB colours;
  text ≥ 4.5 : 1, large text (≥ 24 px, or ≥ 18.66 px bold) ≥ 3 : 1, icons and the shape
  that marks a tile against the page ≥ 3 : 1.
- Colour blindness: each state's tile colour through the Machado, Oliveira & Fernandes (2009)
  matrices for deuteranopia and protanopia at severity 1.0, applied in linear RGB; every two
  states of different colours must stay ΔE₀₀ ≥ 10 apart (CIEDE2000; about 1 to 2 is just
  noticeable side by side, 10 tells two categories apart at a glance from across a room).
  States that share a colour on purpose (talking / dialling / on hold) differ by icon, and
  every state has an icon of its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import StartServer
from tests.browser.test_tv_layout import Centre, _centre, _js, open_tv
from wallboard.monitoring.models import Agent

pytestmark = [pytest.mark.browser, pytest.mark.services]

THEMES = ["dark", "light", "high-contrast"]
STATES = [value.lower() for value, _label in Agent.STATUS_CHOICES]
MIN_DELTA_E = 10.0


# One sample tile per state and one queue tile per alert level, styled as the board styles
# the real ones; then every theme in turn.
AUDIT = _js("colour_audit.js")


def _tv(asgi_server: StartServer, browser: Any, start_sim: Any) -> tuple[Centre, Any]:
    centre = _centre(start_sim, [{"vendor": "daktela", "agents": 12, "queues": 3}])
    return centre, open_tv(browser, asgi_server(), centre, (1920, 1080), rotate_s=600)


def test_every_status_style_is_readable_in_every_theme(
    asgi_server: StartServer, browser: Any, start_sim: Any
) -> None:
    _centre, page = _tv(asgi_server, browser, start_sim)
    audit = page.evaluate(AUDIT, STATES)
    assert audit["failures"] == []


def test_states_stay_apart_for_colour_blind_eyes_and_each_has_its_own_icon(
    asgi_server: StartServer, browser: Any, start_sim: Any
) -> None:
    _centre, page = _tv(asgi_server, browser, start_sim)
    audit = page.evaluate(AUDIT, STATES)
    closest = "; ".join(f"{where} {d:.1f}" for d, where in audit["distances"][:4])
    print(f"\nclosest pairs (CIEDE2000): {closest}")  # noqa: T201 - for the record (-s)
    too_close = [f"{where}: ΔE00 {d:.1f}" for d, where in audit["distances"] if d < MIN_DELTA_E]
    assert too_close == []

    icons = audit["icons"]
    assert sorted(icons) == sorted(STATES)
    assert all(url.startswith('url("') for url in icons.values()), icons
    assert len(set(icons.values())) == len(STATES), "two states share an icon"
    drawings = {
        state: page.evaluate("(url) => fetch(url).then((r) => r.text())", url[5:-2])
        for state, url in icons.items()
    }
    assert all("<svg" in svg for svg in drawings.values())
    assert len(set(drawings.values())) == len(STATES), "two icons are the same drawing"
