"""The embedded poll scheduler: the same claim-and-poll steps as Celery, in threads.

Used by ``manage.py demo`` and whenever ``REDIS_URL`` is unset; production uses Celery beat
and workers instead (``wallboard.monitoring.tasks``).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections

from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.poll import claim_due_accounts, poll_once

log = logging.getLogger("wallboard.scheduler")


class EmbeddedScheduler:
    def __init__(self, *, tick_s: float = 0.2, workers: int = 4) -> None:
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll")
        self._thread = threading.Thread(target=self._run, name="poll-scheduler", daemon=True)

    def start(self) -> EmbeddedScheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for account in claim_due_accounts():
                    self._pool.submit(self._poll, account)
            except Exception:
                log.exception("scheduler tick failed")
            finally:
                close_old_connections()
            self._stop.wait(self.tick_s)

    @staticmethod
    def _poll(account: ProviderAccount) -> None:
        try:
            poll_once(account)
        except Exception:
            log.exception("poll of %s crashed", account)
        finally:
            close_old_connections()
