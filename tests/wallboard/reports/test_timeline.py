"""The agent timeline strip: per column, the status the agent spent most of it in."""

from __future__ import annotations

import re

from wallboard.reports.compute import TIMELINE_BUCKETS, TIMELINE_WIDTH
from wallboard.reports.presentation import timeline_svg

DAY = TIMELINE_BUCKETS * 10  # ten seconds per column


def _rects(svg: str) -> list[tuple[int, int, str]]:
    return [
        (int(x), int(w), css)
        for x, w, css in re.findall(
            r'<rect x="(\d+)" width="(\d+)" height="1" class="([\w-]+)"/>', svg
        )
    ]


def test_whole_columns_and_the_majority_in_shared_ones() -> None:
    unit = TIMELINE_WIDTH // TIMELINE_BUCKETS
    segments = [
        (0, 100, "IDLE", "", True),  # columns 0-9
        (100, 104, "RINGING", "", True),  # 4 s of column 10 ...
        (104, 206, "TALKING", "", True),  # ... the other 6 s: talking wins it
        (206, 300, "OFFLINE", "", True),  # not drawn
        (300, DAY, "PAUSED", "Lunch", True),
    ]
    rects = _rects(timeline_svg(segments, 0, DAY))
    assert rects == [
        (0, 10 * unit, "s-idle"),
        (10 * unit, 11 * unit, "s-talking"),  # columns 10-20 (column 20: 6 s talking)
        (30 * unit, (TIMELINE_BUCKETS - 30) * unit, "s-paused"),
    ]


def test_nothing_to_draw() -> None:
    assert str(timeline_svg([], 0, DAY)) == ""
    assert "<rect" not in timeline_svg([(0, DAY, "OFFLINE", "", True)], 0, DAY)
