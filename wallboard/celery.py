"""The Celery app: beat dispatches due polls every second, workers run them.

While the broker (Redis) is unreachable, beat fails to send ``dispatch_polls`` every second
and Celery logs a traceback each time; here that becomes one line when sending starts to
fail and one when a task is sent again.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_task_publish, task_postrun, worker_process_shutdown
from django.db import close_old_connections

from wallboard import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallboard.settings")

app = Celery("wallboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Only tasks acknowledged late are affected (ours are acknowledged on receipt); saying so
# silences the deprecation warning Celery prints on every lost broker connection.
app.conf.worker_cancel_long_running_tasks_on_connection_loss = True
app.autodiscover_tasks()

beat_log = logging.getLogger("celery.beat")


class BrokerOutageFilter(logging.Filter):
    """Lets the first of beat's "could not send" errors through, shortened to one line,
    and drops the rest until a task is sent again."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Message Error:"):
            return True
        if self.failing:
            return False
        self.failing = True
        error = record.args[0] if isinstance(record.args, tuple) and record.args else ""
        record.msg = "broker unreachable, polls are not dispatched until it is back: %s"
        record.args = (error,)
        record.exc_info = None
        record.exc_text = None
        return True

    def sent(self, **_: Any) -> None:
        if self.failing:
            self.failing = False
            beat_log.info("broker reachable again, dispatching polls")


broker_outage = BrokerOutageFilter()
beat_log.addFilter(broker_outage)
after_task_publish.connect(broker_outage.sent, weak=False)


# A pool child that ends takes its live gauges with it (the multiprocess metrics, ADR 024).
worker_process_shutdown.connect(lambda **_: metrics.end_process(), weak=False)

# Celery's Django fix-up closes the database connection around every task unless told to
# reuse it (CELERY_DB_REUSE_MAX in settings): a new PostgreSQL backend for every poll. Reused,
# a connection is closed after a task as after a web request: once it broke (the database
# was lost) or outlived CONN_MAX_AGE.
task_postrun.connect(lambda **_: close_old_connections(), weak=False)
