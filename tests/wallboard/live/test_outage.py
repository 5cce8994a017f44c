import logging

import pytest

from wallboard.live.outage import RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, None) if exc else None
    return logging.LogRecord("channels_redis.pubsub", logging.ERROR, "", 0, msg, (), info)


def test_one_line_per_quiet_period_without_traceback() -> None:
    clock = Clock()
    muted = RepeatFilter("Unexpected exception in receive task", quiet_s=60, clock=clock)
    first = record("Unexpected exception in receive task", ConnectionError("refused"))
    assert muted.filter(first)
    assert first.exc_info is None
    assert "ConnectionError('refused')" in first.getMessage()
    clock.now = 59
    assert not muted.filter(record("Unexpected exception in receive task", OSError()))
    clock.now = 61
    assert muted.filter(record("Unexpected exception in receive task", OSError()))


@pytest.mark.parametrize("msg", ["Unexpected exception while cleaning-up channel:", "other"])
def test_other_records_pass_untouched(msg: str) -> None:
    muted = RepeatFilter("Unexpected exception in receive task", clock=Clock())
    rec = record(msg, ValueError("x"))
    assert muted.filter(rec)
    assert muted.filter(rec)
    assert rec.exc_info is not None


def test_installed_on_the_channels_redis_logger() -> None:
    filters = logging.getLogger("channels_redis.pubsub").filters
    assert any(isinstance(f, RepeatFilter) for f in filters)
