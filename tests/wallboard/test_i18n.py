"""Every user-facing string is translated into Polish and Czech, and the board speaks them.

The catalogs are checked against a fresh extraction (``makemessages`` over a copy of the
code and templates), so a string added without its translations fails here by name.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import engines
from django.template.loader import render_to_string
from django.test import override_settings
from django.test.signals import setting_changed
from django.utils import translation

from providers.model import AgentStatus
from providers.spikon.parse import member_status, raw_label
from wallboard.monitoring.models import Agent, ProviderAccount, Queue

ROOT = Path(settings.BASE_DIR)
LANGUAGES = ("pl", "cs")
# What makemessages reads: the project's own code and templates (no .venv, tests, vendor JS).
SOURCES = ("wallboard", "providers", "templates")
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_]\w*\))?[sdif]|\{[A-Za-z_]\w*\}")


def ensure_catalogs() -> None:
    """Compile the catalogs if CI has not (a dev machine), and drop cached translations."""
    call_command("compile_catalogs", missing_only=True, verbosity=0)
    setting_changed.send(
        sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=True
    )


@pytest.fixture(scope="module", autouse=True)
def _catalogs() -> None:
    ensure_catalogs()


# -- the catalogs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, polib.POFile]:
    """The committed catalogs merged with a fresh extraction from the current sources."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        if os.environ.get("CI"):
            raise RuntimeError("GNU gettext is missing (apt-get install gettext)")
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed")
    work = tmp_path_factory.mktemp("i18n")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "migrations")
    for name in SOURCES:
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    shutil.copytree(ROOT / "locale", work / "locale", ignore=ignore)
    cwd = Path.cwd()
    os.chdir(work)
    try:
        with override_settings(LOCALE_PATHS=[work / "locale"]):
            call_command(
                "makemessages",
                locale=list(LANGUAGES),
                add_location="file",
                verbosity=0,
            )
    finally:
        os.chdir(cwd)
    return {
        lang: polib.pofile(str(work / "locale" / lang / "LC_MESSAGES" / "django.po"))
        for lang in LANGUAGES
    }


def _forms(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs: one for a plain entry, one per plural form otherwise."""
    if not entry.msgid_plural:
        return [(entry.msgid, entry.msgstr)]
    return [
        (entry.msgid if int(n) == 0 else entry.msgid_plural, text)
        for n, text in sorted(entry.msgstr_plural.items())
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_msgid_is_translated(extracted: dict[str, polib.POFile], lang: str) -> None:
    catalog = extracted[lang]
    live = [e for e in catalog if not e.obsolete]
    assert len(live) > 100, "the extraction found almost nothing: is makemessages broken?"
    problems = []
    for entry in live:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif any(not text.strip() for _, text in _forms(entry)):
            problems.append(f"missing: {entry.msgid!r} ({entry.occurrences[0][0]})")
    assert not problems, f"{lang}: {len(problems)} untranslated strings:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_survive_translation(extracted: dict[str, polib.POFile], lang: str) -> None:
    problems = []
    for entry in extracted[lang]:
        if entry.obsolete:
            continue
        for source, text in _forms(entry):
            if text and sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                problems.append(f"{source!r} → {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_are_complete(lang: str) -> None:
    catalog = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))
    assert catalog.metadata["Language"] == lang
    nplurals = int(re.search(r"nplurals=(\d+)", catalog.metadata["Plural-Forms"]).group(1))  # type: ignore[union-attr]
    assert nplurals == 3
    plurals = [e for e in catalog if e.msgid_plural and not e.obsolete]
    assert plurals
    for entry in plurals:
        assert len(entry.msgstr_plural) == nplurals, entry.msgid


def test_the_compiled_catalogs_are_not_committed() -> None:
    """The .mo files are build products: ignored by git, compiled by CI or the demo."""
    ignore = (ROOT / ".gitignore").read_text().split()
    assert "*.mo" in ignore


# -- the board in Polish and Czech -------------------------------------------------------------


class Text(HTMLParser):
    """The text a reader sees, and the values of ``title`` attributes, kept apart."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.titles += [value or "" for name, value in attrs if name == "title"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _read(html: str) -> tuple[str, str]:
    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.text).split()), " | ".join(parser.titles)


def _spikon_paused_agent() -> Agent:
    """An agent as the SPIKON adapter stores it: on a break while its line says "Wolny"."""
    account = ProviderAccount(pk=1, name="Warszawa", vendor="spikon")
    agent = Agent(
        pk=7,
        account=account,
        name="Anna Nowak",
        status=member_status("Wolny", True).value,
        raw_status=raw_label("Wolny", True),
        status_since=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
    )
    agent.call = None  # type: ignore[attr-defined]
    return agent


@pytest.mark.parametrize(
    ("lang", "label"),
    [("en", "Paused"), ("pl", "Przerwa"), ("cs", "Pauza")],
)
def test_an_agent_tile_shows_the_mapped_status_and_the_vendor_label_only_as_tooltip(
    lang: str, label: str
) -> None:
    agent = _spikon_paused_agent()
    assert agent.status == AgentStatus.PAUSED.value
    with translation.override(lang):
        text, titles = _read(render_to_string("dashboards/board.html#agent-tile", {"agent": agent}))
    assert label in text
    assert "Wolny" in titles  # the raw label stays available on hover
    for raw in ("Wolny", "przerwa", "Tak", "Nie"):
        assert raw not in text.split(), f"raw vendor word {raw!r} shown in {lang}: {text}"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("pl", ["Oczekujące", "Najdłuższe oczekiwanie", "SLA", "gotowi", "na przerwie"]),
        ("cs", ["Čekající", "Nejdelší čekání", "SLA", "připraveni", "v pauze"]),
    ],
)
def test_a_queue_tile_is_translated(lang: str, expected: list[str]) -> None:
    account = ProviderAccount(pk=1, name="Praha", vendor="daktela")
    queue = Queue(
        pk=3,
        account=account,
        name="Podpora",
        calls_waiting=2,
        agents_ready=4,
        agents_busy=1,
        agents_paused=1,
        service_level_pct=93.5,
    )
    with translation.override(lang):
        text, _ = _read(render_to_string("dashboards/board.html#queue-tile", {"queue": queue}))
    for word in expected:
        assert word in text
    for english in ("Waiting", "Longest wait", "ready", "paused"):
        assert english not in text.split(), f"{english!r} untranslated in {lang}: {text}"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "11/22/2026 93.5"), ("pl", "22-11-2026 93,5"), ("cs", "22.11.2026 93,5")],
)
def test_dates_and_numbers_follow_the_language(lang: str, expected: str) -> None:
    template = engines["django"].from_string(
        '{{ when|date:"SHORT_DATE_FORMAT" }} {{ figure|floatformat:1 }}'
    )
    with translation.override(lang):
        rendered = template.render({"when": datetime(2026, 11, 22, 9, 0), "figure": 93.5})
    assert rendered == expected


@pytest.mark.parametrize(("lang", "plural"), [("pl", "konsultantów"), ("cs", "operátorů")])
def test_plurals_use_the_languages_rules(lang: str, plural: str) -> None:
    template = engines["django"].from_string(
        "{% load i18n %}{% blocktranslate count n=n %}{{ n }} agent was not logged in."
        "{% plural %}{{ n }} agents were not logged in.{% endblocktranslate %}"
    )
    with translation.override(lang):
        few = template.render({"n": 3})
        many = template.render({"n": 5})
    assert few.startswith("3 ")
    assert plural not in few
    assert many.startswith("5 ")
    assert plural in many
