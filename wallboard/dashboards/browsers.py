"""A short readable name for a browser's User-Agent ("Chrome 131 on Linux"), for the board
editor's list of TVs (ADR 027). The well-known tokens only, the most specific first (every
Chromium says "Safari", Edge and Opera say "Chrome" too); the full string is kept, so a
better name later needs no new hello."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# (name, the token whose version follows it), first match wins.
_BROWSERS = [
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"(?:OPR|Opera)/(\d+)"),
    ("Samsung Internet", r"SamsungBrowser/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:Headless)?Chrom(?:e|ium)/(\d+)"),
    ("Chrome", r"CriOS/(\d+)"),
    ("Safari", r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/"),
]
# Smart-TV systems first: their browsers also say "Linux".
_SYSTEMS = [
    ("Tizen", r"Tizen"),
    ("webOS", r"Web0S|webOS"),
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("ChromeOS", r"CrOS"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux|X11"),
]
_BROWSER_RES = [(name, re.compile(pattern)) for name, pattern in _BROWSERS]
_SYSTEM_RES = [(name, re.compile(pattern)) for name, pattern in _SYSTEMS]


def browser_name(user_agent: str) -> str:
    """ "Chrome 131 on Linux"; "Chrome 131" or "Linux" where only one is known; otherwise
    the User-Agent's first 40 characters, as it came."""
    browser = next(
        (f"{name} {m.group(1)}" for name, rx in _BROWSER_RES if (m := rx.search(user_agent))),
        None,
    )
    system = next((name for name, rx in _SYSTEM_RES if rx.search(user_agent)), None)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or user_agent[:40]
