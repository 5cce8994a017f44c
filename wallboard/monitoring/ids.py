"""Row ids as they arrive in query strings (``?account=3&queue=7``): text to check first."""

from __future__ import annotations

from collections.abc import Iterable

# The largest id a BigAutoField row can have; SQLite cannot even compare with a larger one.
LARGEST_ID = 2**63 - 1


def parse_id(text: str) -> int | None:
    """The id ``text`` spells, or None when it spells none: not plain ASCII digits (``²``
    and Arabic-Indic digits pass ``isdigit``), or beyond any row's id."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= LARGEST_ID else None


def parse_ids(texts: Iterable[str]) -> list[int]:
    """The ids among ``texts``; the rest are ignored, like an id no row has."""
    return [pk for pk in map(parse_id, texts) if pk is not None]
