"""The database cache of the mode without Redis counts exactly under concurrency: the rate
limits' ``add`` + ``incr`` from many requests at once lose no increment. The Redis cache
makes its client once, not per operation, and threads share it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections
from django.test import override_settings

from wallboard.cache import RedisCache
from wallboard.wiring.apps import _create_cache_table

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "atomic": {"BACKEND": "wallboard.cache.AtomicDatabaseCache", "LOCATION": "test_atomic_cache"},
}


@pytest.fixture
def cache() -> Iterator[Any]:
    with override_settings(CACHES=CACHES):
        _create_cache_table()  # what migrate runs afterwards
        yield caches["atomic"]
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE test_atomic_cache")


def test_concurrent_increments_are_all_counted(cache: Any) -> None:
    assert cache.add("hits", 0, 60)
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)

    def hammer() -> None:
        start.wait()
        try:
            for _ in range(per_thread):
                cache.incr("hits")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert cache.get("hits") == threads * per_thread


def test_incr_of_a_missing_or_expired_key_is_refused_as_django_says(cache: Any) -> None:
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-set")
    cache.set("brief", 5, 1)
    time.sleep(1.1)
    with pytest.raises(ValueError, match="not found"):
        cache.incr("brief")
    cache.set("kept", 5, 60)
    assert cache.incr("kept", 3) == 8
    assert cache.get("kept") == 8


def test_the_redis_cache_makes_one_client_that_threads_share() -> None:
    redis_cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"{settings.REDIS_PREFIX}:one"})
    client = redis_cache._cache.get_client(write=True)
    errors: list[BaseException] = []

    def use(n: int) -> None:
        try:
            for k in range(50):
                redis_cache.set(f"t{n}", k, 30)
                assert redis_cache.get(f"t{n}") == k
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=use, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert redis_cache._cache.get_client() is client
    redis_cache.delete_many([f"t{n}" for n in range(8)])
