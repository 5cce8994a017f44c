"""Rate-limit counters of this test run only, forgotten between tests.

With Redis the counters live under this run's key prefix (other runs share the server);
without it, in the process's memory cache.
"""

from __future__ import annotations

from tests.conftest import forget_cached


def forget_rate_limits() -> None:
    forget_cached("rl:*")
