"""Wallboard settings: everything that differs between machines comes from the environment.

With no ``DATABASE_URL`` and no ``REDIS_URL`` the product runs embedded (SQLite, in-memory
channel layer, in-process poll scheduler): that is ``manage.py demo``.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import dj_database_url
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
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "wallboard.monitoring",
    "wallboard.live",
    "wallboard.dashboards",
    "wallboard.accounts",
    "wallboard.actions",
    "wallboard.reports",
    "wallboard.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Installations (or test runs) sharing one Redis keep apart by prefix.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": envstr("CHANNEL_PREFIX") or "asgi"},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False
CELERY_BEAT_SCHEDULE = {
    "dispatch-polls": {"task": "wallboard.monitoring.tasks.dispatch_polls", "schedule": 1.0},
    # Batched deletes of history past retention (docs/decisions/020-history-retention.md).
    "prune-history": {"task": "wallboard.reports.tasks.prune_history", "schedule": 3600.0},
}

# Polling: the default interval, the back-off cap, and how long a claimed poll may run before
# another worker may take the account over (a worker killed mid-poll).
POLL_INTERVAL_S = envint("POLL_INTERVAL_S", 2)
POLL_BACKOFF_MAX_S = envint("POLL_BACKOFF_MAX_S", 60)
POLL_LEASE_S = envint("POLL_LEASE_S", 30)

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

# A board's alert level falls only after the lower level has held this long (no flapping).
ALERT_COOLDOWN_S = envint("ALERT_COOLDOWN_S", 30)

# How long a new TV link works before an admin must renew it.
TV_LINK_DAYS = envint("TV_LINK_DAYS", 365)

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = None if EMBEDDED else BASE_DIR / "staticfiles"
# Embedded mode serves straight from static/; production runs collectstatic.
WHITENOISE_USE_FINDERS = EMBEDDED
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if EMBEDDED
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}
