"""Rate-limit counters of this test run only, forgotten between tests.

With Redis the counters live under this run's key prefix (other runs share the server);
without it, in the process's memory cache.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.core.cache import cache


def forget_rate_limits() -> None:
    if not settings.REDIS_URL:
        cache.clear()
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for key in client.scan_iter(f"{settings.REDIS_PREFIX}:*:rl:*"):
            client.delete(key)
    finally:
        client.close()
