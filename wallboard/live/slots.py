"""How many sockets one session (or one TV link) holds open, across every web process.

With Redis (production, several web processes) each open socket is a member of a sorted set
per session or link, scored by when it lapses; a socket renews its slot while it is open,
so the slots of a process that died lapse by themselves. Without Redis there is one web
process, and a dictionary is all there is to share.

A TV link's sockets also leave the page their TV shows ("2 / 3", ADR 027) beside their slots:
it changes with every turn of the board, so it is kept here, for as long as the slots are,
and not written to the database.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import Sequence
from typing import Protocol

import redis.asyncio as redis
from django.conf import settings
from redis import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry as SyncRetry

from wallboard.dashboards.fleet import Screens

# A slot lapses this long after its last renewal; an open socket renews it every RENEW_S.
LEASE_S = 180.0
RENEW_S = 60.0


class Slots(Protocol):
    async def take(self, key: str, socket: str, limit: int) -> bool: ...

    async def renew(self, key: str, socket: str) -> None: ...

    async def give_back(self, key: str, socket: str) -> None: ...

    async def set_page(self, key: str, page: str) -> None: ...


class LocalSlots:
    """One process: the sockets of each key, in memory."""

    def __init__(self) -> None:
        self._held: dict[str, set[str]] = {}
        self.pages: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def held(self, key: str) -> int:
        return len(self._held.get(key, ()))

    async def take(self, key: str, socket: str, limit: int) -> bool:
        async with self._lock:
            held = self._held.setdefault(key, set())
            if len(held) >= limit:
                return False
            held.add(socket)
            return True

    async def renew(self, key: str, socket: str) -> None:
        return None

    async def give_back(self, key: str, socket: str) -> None:
        async with self._lock:
            held = self._held.get(key)
            if held is not None:
                held.discard(socket)
                if not held:
                    del self._held[key]
                    self.pages.pop(key, None)

    async def set_page(self, key: str, page: str) -> None:
        self.pages[key] = page


# Take a slot atomically: drop the lapsed ones, refuse past the limit, else add this one.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


#: Connections one event loop's client opens to Redis at most; more commands at once wait
#: for one (up to ``POOL_WAIT_S``) instead of failing, as when a thousand TVs close at once.
POOL_SIZE = 50
POOL_WAIT_S = 10.0


def loop_client(url: str) -> redis.Redis:
    """A Redis client for one event loop, on a pool that makes a burst of commands wait for a
    connection (redis-py's default pool refuses the 101st with "Too many connections")."""
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT_S,
        # After a Redis restart the pooled connection is dead: one retry reconnects.
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )
    return redis.Redis(connection_pool=pool)


class RedisSlots:
    """Every web process: a sorted set per key in the shared Redis."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = loop_client(url)
        self._prefix = prefix
        self._take = self._redis.register_script(_TAKE)

    def _key(self, key: str) -> str:
        return _redis_key(self._prefix, key)

    async def take(self, key: str, socket: str, limit: int) -> bool:
        now = time.time()
        args: list[str | float] = [now, now + LEASE_S, limit, socket, int(LEASE_S) + 1]
        return bool(await self._take(keys=[self._key(key)], args=args))

    async def renew(self, key: str, socket: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self._key(key), {socket: time.time() + LEASE_S}, xx=True)
            pipe.expire(f"{self._key(key)}:page", int(LEASE_S))
            await pipe.execute()

    async def give_back(self, key: str, socket: str) -> None:
        await self._redis.zrem(self._key(key), socket)

    async def set_page(self, key: str, page: str) -> None:
        await self._redis.set(f"{self._key(key)}:page", page, ex=int(LEASE_S))


def _redis_key(prefix: str, key: str) -> str:
    return f"{prefix}:sockets:{key}"


_local = LocalSlots()
# A Redis connection belongs to the event loop that opened it: one client per loop (the
# server has one; each test has its own).
_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RedisSlots] = (
    weakref.WeakKeyDictionary()
)


def slots() -> Slots:
    if not settings.REDIS_URL:
        return _local
    loop = asyncio.get_running_loop()
    found = _by_loop.get(loop)
    if found is None:
        found = _by_loop[loop] = RedisSlots(settings.REDIS_URL, settings.REDIS_PREFIX)
    return found


def tv_slot(link_pk: int) -> str:
    return f"tv:{link_pk}"


@functools.cache
def sync_client(url: str, *, decode_responses: bool = False) -> Redis:
    """One Redis client per URL for synchronous code (pages, the publisher); thread-safe,
    with the same one retry after a Redis restart as the event loops' clients."""
    return Redis.from_url(
        url,
        decode_responses=decode_responses,
        retry=SyncRetry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )


def tv_screens(link_pks: Sequence[int]) -> dict[int, Screens]:
    """For a page (synchronous code): how many sockets each TV link has open on every web
    process now, and the page its TV last said it shows."""
    keys = [tv_slot(pk) for pk in link_pks]
    if not settings.REDIS_URL:
        return {
            pk: Screens(_local.held(key), _local.pages.get(key, ""))
            for pk, key in zip(link_pks, keys, strict=True)
        }
    now = time.time()
    with sync_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
        for key in keys:
            full = _redis_key(settings.REDIS_PREFIX, key)
            pipe.zcount(full, now, "+inf")
            pipe.get(f"{full}:page")
        found = pipe.execute()
    return {
        pk: Screens(int(found[2 * i]), (found[2 * i + 1] or b"").decode())
        for i, pk in enumerate(link_pks)
    }
