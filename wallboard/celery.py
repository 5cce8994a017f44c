"""The Celery app: beat dispatches due polls every second, workers run them."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallboard.settings")

app = Celery("wallboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
