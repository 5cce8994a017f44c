"""Wallboard settings: everything that differs between machines comes from the environment.

With no ``DATABASE_URL`` and no ``REDIS_URL`` the product runs embedded (SQLite, in-memory
channel layer, in-process poll scheduler): that is ``manage.py demo``.
"""

from __future__ import annotations

import re
import sys
import warnings
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from wallboard.env import envbool, envint, envlist, envsecret, envstr

BASE_DIR = Path(__file__).resolve().parent.parent

DATABASE_URL = envstr("DATABASE_URL")
REDIS_URL = envstr("REDIS_URL")
EMBEDDED = DATABASE_URL is None

DEBUG = envbool("DEBUG", default=False)
SECRET_KEY = envsecret(
    "SECRET_KEY", embedded_default="embedded-demo-only-not-secret", embedded=EMBEDDED
)
# A urlsafe-base64 32-byte Fernet key; several, comma separated, newest first, during rotation.
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in envsecret(
        "FIELD_ENCRYPTION_KEY",
        embedded_default="ZW1iZWRkZWQtZGVtby1vbmx5LW5vdC1hLXNlY3JldCE=",
        embedded=EMBEDDED,
    ).split(",")
    if key.strip()
]
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
# Origins (scheme://host[:port]) allowed to POST besides the site itself, e.g. when a proxy
# serves the site under another name than the one Django sees.
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
TIME_ZONE = envstr("TIME_ZONE", "UTC") or "UTC"
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone") from None
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
# The browser's Accept-Language picks one of these (LocaleMiddleware); the switcher on every
# page stores a choice in a cookie. Catalogs are compiled at install time (compilemessages,
# or `manage.py demo`), never committed as .mo files.
LANGUAGES = [("en", "English"), ("pl", "Polski"), ("cs", "Čeština")]
LOCALE_PATHS = [BASE_DIR / "locale"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "csp",
    "django_ratelimit",
    "django_htmx",
    "template_partials",
    # django-ninja: the API (ADR 025); listed for its bundled docs page's static files.
    "ninja",
    "wallboard.monitoring",
    "wallboard.live",
    "wallboard.dashboards",
    "wallboard.accounts",
    "wallboard.actions",
    "wallboard.reports",
    "wallboard.notifications",
    "wallboard.api",
    "wallboard.wiring",
]
# Daphne's app makes `manage.py runserver` serve ASGI, WebSockets included. Only there:
# importing it installs Twisted's reactor, 0.45 s of CPU and 17 MB in every other process
# (web, workers, beat, watcher), none of which uses it. Served by Daphne, the reactor is
# Daphne's own (`daphne wallboard.asgi:application`).
if sys.argv[1:2] == ["runserver"]:
    INSTALLED_APPS.insert(0, "daphne")

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, answered before anything else: probes and scrapers
    # reach a process by its address, over plain HTTP, with no session (ADR 024).
    "wallboard.wiring.probes.probes",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wallboard.urls"
ASGI_APPLICATION = "wallboard.asgi.application"
WSGI_APPLICATION = "wallboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable server fails a request (and /readyz) in seconds, not minutes.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": envstr("SQLITE_PATH") or str(BASE_DIR / "var" / "wallboard.sqlite3"),
            "OPTIONS": {
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL;",
                # Poll threads write concurrently: take the write lock at BEGIN, so a
                # transaction waits for it instead of failing on upgrade.
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Installations (or test runs) sharing one Redis keep apart by prefix: channels and cache.
REDIS_PREFIX = envstr("CHANNEL_PREFIX") or "asgi"
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": REDIS_PREFIX},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # Celery's queues and replies under the same prefix: two installations on one Redis
    # never take each other's tasks.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_PREFIX}:celery:"}
    # The rate-limit counters: shared by every web process.
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "wallboard.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    if EMBEDDED:
        CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        # One process on PostgreSQL: the rate limits and the scheduler's heartbeat live in a
        # table (created by migrate), so `manage.py` commands see them too and a restart
        # keeps them.
        CACHES = {
            "default": {
                "BACKEND": "wallboard.cache.AtomicDatabaseCache",
                "LOCATION": "wallboard_cache",
                "KEY_PREFIX": REDIS_PREFIX,
                "OPTIONS": {"MAX_ENTRIES": 10_000},
            }
        }
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Keep a worker's database connections across tasks (``wallboard.celery``): Celery's
# default opens one per task. Recycled every this many tasks all the same.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_ACKS_LATE = False
# Partitioned polling (docs/decisions/023-accounts-at-scale.md): with POLL_PARTITIONS = N > 0,
# account k's polls and refreshes go to queue poll.<k mod N>, and each worker process
# consumes the default queue and its own partitions (`-Q celery,poll.0`); every partition
# needs a worker. 0: every poll on the default queue, taken by any worker.
POLL_PARTITIONS = envint("POLL_PARTITIONS", 0)
if POLL_PARTITIONS < 0:
    raise ImproperlyConfigured(f"POLL_PARTITIONS={POLL_PARTITIONS}: 0 (off) or a number of queues")
CELERY_TASK_ROUTES = ("wallboard.monitoring.scheduler.route_account_task",)
CELERY_BEAT_SCHEDULE = {
    # A dispatch nobody ran within its second is worthless: the next one claims the same
    # accounts, so a worker starting after an outage does not run a backlog of them.
    "dispatch-polls": {
        "task": "wallboard.dispatch_polls",
        "schedule": 1.0,
        "options": {"expires": 1.0},
    },
    # Batched deletes of history past retention (docs/decisions/020-history-retention.md).
    "prune-history": {"task": "wallboard.prune_history", "schedule": 3600.0},
    # Notification deliveries that are due: retries (a poll that queues one also sends it).
    "send-notifications": {
        "task": "wallboard.send_notifications",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
}

# Polling: the default interval, the back-off cap, and how long a claimed poll may run before
# another worker may take the account over (a worker killed mid-poll).
POLL_INTERVAL_S = envint("POLL_INTERVAL_S", 2)
POLL_BACKOFF_MAX_S = envint("POLL_BACKOFF_MAX_S", 60)
POLL_LEASE_S = envint("POLL_LEASE_S", 30)
# Vendor feeds (ADR 019): how long a watcher's claim on an account's feed lasts unrenewed
# (a dead watcher is replaced after it), and how often a watcher renews and looks for work.
FEED_LEASE_S = envint("FEED_LEASE_S", 20)
FEED_TICK_S = envint("FEED_TICK_S", 2)
if not 0 < FEED_TICK_S * 3 <= FEED_LEASE_S:
    raise ImproperlyConfigured("FEED_LEASE_S must be at least three times FEED_TICK_S.")

# History: days kept (older rows are pruned hourly in batches), the minimum spacing of two
# stored samples of one queue (changes in between overwrite the newest sample), and how many
# rows one pruning statement deletes.
HISTORY_RETENTION_DAYS = envint("HISTORY_RETENTION_DAYS", 90)
QUEUE_SAMPLE_MIN_SPACING_S = envint("QUEUE_SAMPLE_MIN_SPACING_S", 30)
HISTORY_PRUNE_BATCH = envint("HISTORY_PRUNE_BATCH", 5000)
if HISTORY_RETENTION_DAYS < 1 or QUEUE_SAMPLE_MIN_SPACING_S < 0 or HISTORY_PRUNE_BATCH < 1:
    raise ImproperlyConfigured(
        "HISTORY_RETENTION_DAYS and HISTORY_PRUNE_BATCH must be ≥ 1, QUEUE_SAMPLE_MIN_SPACING_S ≥ 0"
    )

# -- Operations (ADR 024) ---------------------------------------------------------------------
# /metrics needs "Authorization: Bearer <METRICS_TOKEN>" when it is set. With
# PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself) every process writes its
# figures there and /metrics adds them up; it must be one directory for all the processes of
# a host (web, worker, beat, watch), emptied when they all start afresh.
METRICS_TOKEN = envstr("METRICS_TOKEN")
PROMETHEUS_MULTIPROC_DIR = envstr("PROMETHEUS_MULTIPROC_DIR")

# A board's alert level falls only after the lower level has held this long (no flapping).
ALERT_COOLDOWN_S = envint("ALERT_COOLDOWN_S", 30)

# -- Notifications (docs/decisions/026-notifications.md) -------------------------------------
# E-mail goes through Django's SMTP backend with these; DEFAULT_FROM_EMAIL is the sender.
EMAIL_HOST = envstr("EMAIL_HOST", "localhost") or "localhost"
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "Set EMAIL_USE_TLS (STARTTLS, usually port 587) or EMAIL_USE_SSL (port 465), not both"
    )
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "wallboard@localhost") or "wallboard@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A delivery that fails is tried again after NOTIFY_RETRY_BASE_S, then twice as long each
# time up to NOTIFY_RETRY_MAX_S, NOTIFY_MAX_ATTEMPTS times in all; each HTTP attempt waits
# at most NOTIFY_TIMEOUT_S for the receiver.
NOTIFY_MAX_ATTEMPTS = envint("NOTIFY_MAX_ATTEMPTS", 8)
NOTIFY_RETRY_BASE_S = envint("NOTIFY_RETRY_BASE_S", 10)
NOTIFY_RETRY_MAX_S = envint("NOTIFY_RETRY_MAX_S", 600)
NOTIFY_TIMEOUT_S = envint("NOTIFY_TIMEOUT_S", 10)
# A sender that claimed a delivery and died gives it up after this long.
NOTIFY_LEASE_S = envint("NOTIFY_LEASE_S", 60)
if NOTIFY_MAX_ATTEMPTS < 1 or NOTIFY_RETRY_BASE_S < 1 or NOTIFY_TIMEOUT_S < 1:
    raise ImproperlyConfigured(
        "NOTIFY_MAX_ATTEMPTS, NOTIFY_RETRY_BASE_S and NOTIFY_TIMEOUT_S must be ≥ 1"
    )
if NOTIFY_LEASE_S <= NOTIFY_TIMEOUT_S + EMAIL_TIMEOUT:
    raise ImproperlyConfigured("NOTIFY_LEASE_S must exceed NOTIFY_TIMEOUT_S + EMAIL_TIMEOUT")

# How long a new TV link works before an admin must renew it.
TV_LINK_DAYS = envint("TV_LINK_DAYS", 365)
# With nothing to push, each account still tells its screens every LIVE_HEARTBEAT_S that
# polling is alive; a screen that hears nothing for three of them says it is not live.
LIVE_HEARTBEAT_S = envint("LIVE_HEARTBEAT_S", 5)
# Open sockets one signed-in session (all its tabs) and one TV link may hold, on every web
# process together; past them a new socket is closed with 1008.
WS_MAX_SOCKETS_PER_SESSION = envint("WS_MAX_SOCKETS_PER_SESSION", 20)
WS_MAX_SOCKETS_PER_TV_LINK = envint("WS_MAX_SOCKETS_PER_TV_LINK", 5)
if WS_MAX_SOCKETS_PER_SESSION < 1 or WS_MAX_SOCKETS_PER_TV_LINK < 1:
    raise ImproperlyConfigured(
        "WS_MAX_SOCKETS_PER_SESSION and WS_MAX_SOCKETS_PER_TV_LINK must be ≥ 1"
    )

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = None if EMBEDDED else BASE_DIR / "staticfiles"
# Embedded mode serves straight from static/; production runs collectstatic. Served from
# the source tree, a file edited while the demo runs is re-read: without autorefresh
# WhiteNoise sends the old Content-Length with the new body and the response fails.
WHITENOISE_USE_FINDERS = EMBEDDED
WHITENOISE_AUTOREFRESH = EMBEDDED
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if EMBEDDED
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# WhiteNoise hands Django's ASGI handler a file iterator, which Django reads in a worker
# thread and warns about on every static file; the files are small, cached for a year by
# browsers (hashed names), and served once per screen, so the warning is only noise.
warnings.filterwarnings(
    "ignore",
    message="StreamingHttpResponse must consume synchronous iterators",
    module="django.core.handlers.asgi",
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# -- Abuse limits (docs/RELIABILITY.md "Security") -------------------------------------------
# The client's address: REMOTE_ADDR, or behind a reverse proxy the address the proxy wrote
# into CLIENT_IP_HEADER (e.g. X-Forwarded-For), counted TRUSTED_PROXY_COUNT entries from the
# right: what lies further left was sent by the client and can be forged.
CLIENT_IP_HEADER = envstr("CLIENT_IP_HEADER")
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1)
if TRUSTED_PROXY_COUNT < 1:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be ≥ 1")


def _rate(name: str, default: str) -> str:
    value = envstr(name, default) or default
    if not re.fullmatch(r"[1-9]\d*/([1-9]\d*)?[smhd]", value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate like 30/m (per s, m, h or d)")
    return value


# Per signed-in user: every action request counts, refused or not; over the limit nothing is
# sent to the vendor. Sign-in attempts count per client address and user name.
ACTION_RATE_LIMIT = _rate("ACTION_RATE_LIMIT", "60/m")
LOGIN_RATE_LIMIT = _rate("LOGIN_RATE_LIMIT", "10/m")
# Lockout (django-axes): this many failed sign-ins for one user name from one address lock
# that pair out for LOGIN_LOCKOUT_MINUTES; a successful sign-in resets the count.
AUTHENTICATION_BACKENDS = [
    "wallboard.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout ends when the page says it does, however often the person tries meanwhile.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "wallboard.accounts.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "wallboard.accounts.views.locked_out"
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit knows django-redis but not Django's own RedisCache (ours extends
    # it), which has the atomic INCR it needs.
    "django_ratelimit.W001",
    # The embedded demo is one process: its in-memory cache is all there is to share.
    *(["django_ratelimit.E003"] if EMBEDDED else []),
]

# -- HTTPS, cookies and headers -------------------------------------------------------------
# HTTPS=true when the site is served over HTTPS (by a TLS-terminating proxy, which then says
# so in SECURE_PROXY_SSL_HEADER, e.g. X-Forwarded-Proto): secure cookies, HTTP redirected to
# HTTPS, HSTS. Off by default, like Django's own settings, so that a plain-HTTP install (the
# demo, docker-compose on :8000) works; `manage.py check --deploy` flags it.
HTTPS = envbool("HTTPS", default=False)
_proxy_ssl_header = envstr("SECURE_PROXY_SSL_HEADER")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", default=HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
# Pages send the CSRF token from the template (hx-headers), never read the cookie.
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
# No page is meant to be framed, the TV board included: a TV opens its link full screen,
# and a framed board would let another site overlay our pages (clickjacking).
X_FRAME_OPTIONS = "DENY"
# TV links carry their token in the path: never send it to another site.
SECURE_REFERRER_POLICY = "same-origin"
# Scripts and styles come only from our static files: no inline <script>, style= or on*=.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; failures and lockouts are WARNINGs.
    "loggers": {
        "httpx": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
