"""A board's TVs as its editor lists them (ADR 027): each active TV link with what its TV
said in its hello, and how many sockets it has open now with the page it shows — which the
live layer knows (its socket slots, every web process), and hands in as ``ScreensOf``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.utils import timezone

from wallboard.dashboards.models import Board, TvLink


class Screens(NamedTuple):
    sockets: int  # open now, on every web process
    page: str  # "2 / 3", as its TV last said; "" when it has not


ScreensOf = Callable[[Sequence[int]], Mapping[int, Screens]]


@dataclass(frozen=True)
class TvScreen:
    link: TvLink
    sockets: int
    page: str


def board_screens(board: Board, screens_of: ScreensOf) -> list[TvScreen]:
    active = board.tv_links.filter(revoked_at=None, expires_at__gt=timezone.now())
    links = list(active.order_by("pk"))
    now = screens_of([link.pk for link in links])
    return [TvScreen(link, *now.get(link.pk, Screens(0, ""))) for link in links]
