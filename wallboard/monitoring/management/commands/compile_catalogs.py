"""``manage.py compile_catalogs``: build the .mo files from the committed .po catalogs.

Pure Python (polib), so a machine without GNU gettext can run the demo in Polish and Czech.
CI uses Django's ``compilemessages`` (GNU msgfmt, which also checks the formats); both write
the same ``locale/<lang>/LC_MESSAGES/*.mo``, which are build products and never committed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


def stale_catalogs() -> list[Path]:
    """The .po files under ``LOCALE_PATHS`` whose .mo is missing or older than they are."""
    stale = []
    for locale_path in settings.LOCALE_PATHS:
        for po_path in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
                stale.append(po_path)
    return stale


def compile_catalog(po_path: Path) -> Path:
    """Write ``po_path``'s .mo (translated, non-fuzzy entries) atomically; return its path."""
    mo_path = po_path.with_suffix(".mo")
    fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
    os.close(fd)
    try:
        polib.pofile(str(po_path)).save_as_mofile(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the server may run as another user
        os.replace(tmp, mo_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return mo_path


class Command(BaseCommand):
    help = "Compile the translation catalogs (locale/*/LC_MESSAGES/*.po) without GNU gettext."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing-only",
            action="store_true",
            help="Only catalogs whose .mo is missing or older than the .po.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["missing_only"]:
            catalogs = stale_catalogs()
        else:
            catalogs = [
                po
                for locale_path in settings.LOCALE_PATHS
                for po in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po"))
            ]
        for po_path in catalogs:
            mo_path = compile_catalog(po_path)
            if options["verbosity"] >= 1:
                self.stdout.write(f"compiled {mo_path.relative_to(settings.BASE_DIR)}")
