"""The product's Celery app with each task's CPU profiled: ``bench --accounts`` starts its
workers with ``-A tools.bench.worker_profile`` when ``BENCH_ACCOUNTS_PROFILE`` names a
directory.

Every task runs under ``cProfile`` timed by its thread's CPU clock, so the profile is CPU,
not waiting on PostgreSQL or the vendor, whatever the pool (one profiler per pool thread or
process). When the worker stops, each process writes ``<directory>/worker-<pid>.pstats``
and, beside it, the CPU its tasks took against the process's whole CPU: the rest is the
worker's own (Celery's consumer, the broker, the pool).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import threading
import time
from pathlib import Path
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_process_shutdown, worker_shutdown

from wallboard.celery import app

PROFILE_ENV = "BENCH_ACCOUNTS_PROFILE"

__all__ = ["PROFILE_ENV", "app"]

_profiles: dict[int, cProfile.Profile] = {}
_tasks = {"count": 0, "cpu_s": 0.0}
_started = threading.local()
_lock = threading.Lock()


def _prerun(**_: Any) -> None:
    profile = _profiles.get(threading.get_ident())
    if profile is None:
        profile = _profiles[threading.get_ident()] = cProfile.Profile(time.thread_time)
    _started.cpu_s = time.thread_time()
    profile.enable()


def _postrun(**_: Any) -> None:
    profile = _profiles.get(threading.get_ident())
    if profile is None:
        return
    profile.disable()
    with _lock:
        _tasks["count"] += 1
        _tasks["cpu_s"] += time.thread_time() - _started.cpu_s


def _write(**_: Any) -> None:
    directory = Path(os.environ[PROFILE_ENV])
    profiles = [p for p in _profiles.values() if p.getstats()]
    if not profiles:
        return
    pstats.Stats(*profiles).dump_stats(directory / f"worker-{os.getpid()}.pstats")
    times = os.times()
    summary = {**_tasks, "process_cpu_s": times.user + times.system}
    (directory / f"worker-{os.getpid()}.json").write_text(json.dumps(summary))


task_prerun.connect(_prerun, weak=False)
task_postrun.connect(_postrun, weak=False)
worker_process_shutdown.connect(_write, weak=False)
worker_shutdown.connect(_write, weak=False)
