"""While Redis is down, channels_redis's receive task logs a traceback every second in every
web process; an operator needs one line saying so, not a screenful per second."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RepeatFilter(logging.Filter):
    """Lets the first record starting with ``prefix`` through as one line (no traceback) and
    drops the same record for ``quiet_s`` after it."""

    def __init__(
        self, prefix: str, quiet_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.prefix = prefix
        self.quiet_s = quiet_s
        self.clock = clock
        self.last: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.prefix):
            return True
        now = self.clock()
        if self.last is not None and now - self.last < self.quiet_s:
            return False
        self.last = now
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            record.msg = f"{record.msg}: {error!r} (repeats muted for {self.quiet_s:.0f} s)"
        record.exc_info = None
        record.exc_text = None
        return True


def mute_receive_task_repeats() -> None:
    logging.getLogger("channels_redis.pubsub").addFilter(
        RepeatFilter("Unexpected exception in receive task")
    )
