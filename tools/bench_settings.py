"""Settings for ``manage.py bench``: the real stack on this machine, isolated from dev data.

PostgreSQL and Redis default to the local servers; the command creates and drops its own
database (``wallboard_bench``) and uses its own channel-layer prefix, so a running dev board
never sees a benchmark message (Redis pub/sub channels are not scoped by database number).
"""

from __future__ import annotations

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wallboard_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from tools.settings import *  # noqa: F403

# Per run, so two runs at once never see each other's messages; the servers the run starts
# inherit it.
BENCH_CHANNEL_PREFIX = os.environ.setdefault(
    "BENCH_CHANNEL_PREFIX", f"wallboard-bench-{os.getpid()}"
)
# The production layer (wallboard.settings) with a prefix of its own.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": BENCH_CHANNEL_PREFIX},
    }
}
# The web server the benchmark starts serves static files straight from static/.
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT = None
