"""The one choke point for pushing to browsers (called on commit, never before).

Sync code (Celery workers, the embedded poller threads) hands each message to an event
loop: the server's own loop when the poller runs inside the web server (required by the
in-memory channel layer, whose queues belong to that loop), otherwise a private loop thread
kept for the life of the process so the Redis connection is reused between messages.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError

log = logging.getLogger("wallboard.push")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def use_event_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """Send from ``loop`` (the web server's) instead of a private loop thread."""
    global _loop
    _loop = loop


def _sender_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="push-loop", daemon=True).start()
            _loop = loop
        return _loop


def account_group(account_pk: int, language: str | None = None) -> str:
    """Fragments are rendered once per language: each browser joins its language's group."""
    return f"account.{account_pk}.{language or settings.LANGUAGE_CODE}"


def selection_group(account_pk: int, queue_ids: Iterable[int], language: str | None = None) -> str:
    """The screens that see only some queues of an account (a queue-scoped person, a board
    of some queues): they are sent only those queues and their members (ADR 016)."""
    digest = hashlib.blake2s(",".join(map(str, sorted(queue_ids))).encode(), digest_size=8)
    return f"account.{account_pk}.q{digest.hexdigest()}.{language or settings.LANGUAGE_CODE}"


def agent_group(agent_pk: int, language: str | None = None) -> str:
    return f"agent.{agent_pk}.{language or settings.LANGUAGE_CODE}"


def user_group(user_pk: int) -> str:
    return f"user.{user_pk}"


def board_group(board_pk: int) -> str:
    return f"board.{board_pk}"


def tv_group(link_pk: int) -> str:
    return f"tv.{link_pk}"


def end_sessions(group: str) -> None:
    """Close every socket in ``group`` (logout, role change, TV link revoked)."""
    send_to_group(group, {"type": "session.end"})


def send_to_group(group: str, message: dict[str, Any], timeout_s: float = 5.0) -> None:
    """Deliver ``message`` to every consumer in ``group``; failures are logged, not raised:
    a browser that misses a message resyncs on the next one (sequence gap)."""
    layer = get_channel_layer()
    if layer is None:
        return
    # After a Redis restart the first send fails on a dead pooled connection; the
    # second one reconnects.
    for attempt in (1, 2):
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _sender_loop())
        try:
            future.result(timeout_s)
        except FutureTimeout:
            future.cancel()
            _failed(f"push to {group} timed out")
            return
        except (ConnectionError, OSError, RedisConnectionError) as exc:
            if attempt == 2:
                _failed(f"push to {group} failed: {exc}")
                return
        except Exception:
            log.exception("push to %s failed", group)
            return
        else:
            _recovered()
            return


_failing = False


def _failed(reason: str) -> None:
    """One log line when pushing starts failing, not one per message."""
    global _failing
    if not _failing:
        log.warning("%s; browsers resync when pushes resume", reason)
    _failing = True


def _recovered() -> None:
    global _failing
    if _failing:
        log.info("pushing to browsers works again")
    _failing = False
