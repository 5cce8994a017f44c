"""Test settings: the real PostgreSQL and Redis of this machine, found or refused loudly.

pytest-django creates and drops the test database ``test_wallboard``. With ``CI=true`` the
services must be there; on a developer machine without them the suite falls back to SQLite
and the in-memory layer, and the tests marked ``services`` are skipped with a reason.
"""

from __future__ import annotations

import os
import socket


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SERVICES = _reachable("127.0.0.1", 5432) and _reachable("127.0.0.1", 6379)
if not SERVICES and CI:
    raise RuntimeError("CI=true but PostgreSQL (5432) or Redis (6379) is not reachable")
if SERVICES:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wallboard")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# Several test runs may share this machine's PostgreSQL and Redis at once: each run gets
# its own test database and channel prefix (inherited by the web server it starts).
os.environ.setdefault("CHANNEL_PREFIX", f"test{os.getpid()}")
# pytest-xdist's workers inherit the controller's environment; each takes a prefix of its
# own (and so a database of its own).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and not os.environ["CHANNEL_PREFIX"].endswith(_worker):
    os.environ["CHANNEL_PREFIX"] += _worker
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=")
# Playwright's sync API runs an event loop in the test thread; the ORM calls around it are
# still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from wallboard.settings import *  # noqa: E402, F403

SERVICES_AVAILABLE = SERVICES
# The tests share the tools' process and WebSocket harness and run their commands.
INSTALLED_APPS = [*INSTALLED_APPS, "tools"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Threads that touch the database (async consumers, the push loop) must not keep
# connections open past the test, or the test database cannot be dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": f"test_wallboard_{os.environ['CHANNEL_PREFIX']}"}  # noqa: F405
# The web server the browser tests start serves static files without collectstatic.
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT = None
# Actions kick the Celery dispatcher; tests have no worker, and the pollers they need run
# in-process (EmbeddedScheduler).
CELERY_BROKER_URL = "memory://"
