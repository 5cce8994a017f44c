"""The product's Prometheus instruments (``wallboard_*``) and their multiprocess bookkeeping
(ADR 024).

With ``PROMETHEUS_MULTIPROC_DIR`` set, every process (uvicorn, Celery worker and its pool
children, beat, ``manage.py watch``) writes its figures to files there and ``/metrics``
adds them up, so one scrape sees the whole host. Files are named after the process's
identity, ``<hostname>-<pid>``: containers sharing the directory each have a pid 1. A process
holds a lock on ``<identity>.lock`` while it lives, so a scrape can tell the live gauges of a
process that is gone (killed, crashed) and drop them (``mark_process_dead``); counters and
histograms of a finished process stay, so totals never go down while the directory lives.
Without the variable, each process counts for itself (the one-process modes).

This module is the lowest layer but ``providers``: what counts (the commit hook, the
sockets, the actions, the feed) imports it; what is read from the database at scrape time
is the wiring's (``wallboard.wiring.scrape``).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import re
import socket
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _identity_now() -> str:
    # The library splits file names on "_": the identity must not contain one.
    return f"{socket.gethostname()}-{os.getpid()}".replace("_", "-")


_identity = _identity_now()
_lock_fd: int | None = None

# -- Multiprocess bookkeeping -----------------------------------------------------------------


def _mark_dead(identity: str) -> None:
    mark_process_dead(identity, MULTIPROC_DIR)  # type: ignore[no-untyped-call]


def _lock_path(identity: str) -> Path:
    assert MULTIPROC_DIR is not None
    return Path(MULTIPROC_DIR) / f"{identity}.lock"


def _claim() -> None:
    """Take this process's identity and hold its lock (at start, and in a forked child,
    whose inherited descriptor still holds the parent's lock)."""
    global _identity, _lock_fd
    if _lock_fd is not None:
        os.close(_lock_fd)
    _identity = _identity_now()
    _lock_fd = os.open(_lock_path(_identity), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _enter() -> None:
    assert MULTIPROC_DIR is not None
    Path(MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    _claim()
    os.register_at_fork(after_in_child=_claim)
    atexit.register(end_process)


def end_process() -> None:
    """This process stops counting: its live gauges go now (Celery's pool children say so
    on shutdown, every process at exit; a killed one is found by ``sweep``)."""
    global _lock_fd
    if not MULTIPROC_DIR or _lock_fd is None:
        return
    _mark_dead(_identity)
    with contextlib.suppress(FileNotFoundError):
        _lock_path(_identity).unlink()
    os.close(_lock_fd)
    _lock_fd = None


def sweep() -> list[str]:
    """Drop the live gauges of every process that is gone: its lock is free, or it left
    live gauges and no lock at all. Returns their identities."""
    if not MULTIPROC_DIR:
        return []
    folder = Path(MULTIPROC_DIR)
    dead = []
    for lock in folder.glob("*.lock"):
        identity = lock.stem
        if identity == _identity:
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            continue  # another scrape swept it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # alive
        else:
            _mark_dead(identity)
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
            dead.append(identity)
        finally:
            os.close(fd)
    for gauge_file in folder.glob("gauge_live*_*.db"):
        identity = gauge_file.stem.split("_", 2)[2]
        if identity != _identity and not _lock_path(identity).exists():
            _mark_dead(identity)
            dead.append(identity)
    return dead


# The multiprocess bookkeeping starts with this module, as the library's does: an instrument
# without labels writes its file as soon as it exists.
if MULTIPROC_DIR:
    _enter()
    # Chosen before any instrument exists: each value looks its file up by this identity,
    # and starts a new file when it changes (after a fork).
    values.ValueClass = values.MultiProcessValue(lambda: _identity)  # type: ignore[no-untyped-call]
else:
    # The library takes a variable set to "" for multiprocess mode into the working directory.
    values.ValueClass = values.MutexValue


# This process's instruments. In multiprocess mode they only write their files; a scrape
# reads the files of every process instead (``process_collector``).
REGISTRY = CollectorRegistry(auto_describe=True)

POLLS = Counter(
    "wallboard_polls",
    "Polls committed, by account, vendor and result: ok, partial (some of the vendor's "
    "endpoints failed, their data is kept), failed (the account is stale).",
    ["account", "vendor", "result"],
    registry=REGISTRY,
)
POLL_DURATION = Histogram(
    "wallboard_poll_duration_seconds",
    "One poll from the first request to the vendor until its transaction is committed.",
    ["vendor"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
VENDOR_ERRORS = Counter(
    "wallboard_vendor_errors",
    "Failed polls by account, vendor and kind of error (auth, unavailable, no_reply, "
    "bad_response, not_found, refused, …).",
    ["account", "vendor", "kind"],
    registry=REGISTRY,
)
SOCKETS_OPEN = Gauge(
    "wallboard_sockets_open",
    "WebSockets open now, by audience: board (the board and the console), tv, agent (the "
    "agent's panel).",
    ["audience"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
PUSH_LATENCY = Histogram(
    "wallboard_push_latency_seconds",
    "From the commit of a change to the channel layer holding its fragments for every "
    "language (rendering included; the socket's own send is not).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
ACTIONS = Counter(
    "wallboard_actions",
    "Supervisor and agent actions by vendor, action and the HTTP status the person got "
    "(200 done, 400 bad input or unsupported, 403 not allowed, 404 unknown, 409 refused by "
    "the vendor, 502/503 the vendor failed).",
    ["vendor", "action", "status"],
    registry=REGISTRY,
)
FEED_LIVE = Gauge(
    "wallboard_feed_live",
    "1 while the account's vendor change feed delivers, 0 while it is down; absent when no "
    "process runs a feed for the account.",
    ["account", "vendor"],
    multiprocess_mode="livemostrecent",
    registry=REGISTRY,
)


def error_kind(class_name: str) -> str:
    """``ProviderAuthError`` → ``auth``, ``NoReplyError`` → ``no_reply``."""
    core = class_name.removeprefix("Provider").removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", core).lower() or "other"


def set_feed_state(account_pk: int, vendor: str, *, live: bool) -> None:
    """What a feed reports on each change of its state (see ``FEED_LIVE``)."""
    FEED_LIVE.labels(str(account_pk), vendor).set(1 if live else 0)


def process_collector() -> Collector:
    """What every process counted: all processes' files in multiprocess mode (after a
    sweep), else this process's instruments."""
    if not MULTIPROC_DIR:
        return REGISTRY
    sweep()
    return MultiProcessCollector(None, path=MULTIPROC_DIR)  # type: ignore[no-untyped-call]
