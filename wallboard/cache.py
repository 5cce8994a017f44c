"""The shared caches: Django's Redis cache with one client per pool (``RedisCache``), and,
in the PostgreSQL-without-Redis mode, Django's database cache with an atomic ``incr``
(``AtomicDatabaseCache``).

Django's Redis cache builds a new ``redis.Redis`` for every operation, and redis-py fills
some 170 reply callbacks for each: 0.3 ms of CPU per cache read, more than the read itself,
on every push (the forecast plan) and every rate-limited request. A client only borrows a
connection from its pool per command, so one per pool serves every thread.

The rate limits (django-ratelimit) count with ``add`` then ``incr``. Django's database cache
increments by a read and a write, so two requests at once can both read 5 and both write 6,
and a burst gets past its limit; here the read locks the row (``SELECT … FOR UPDATE``) until
the write commits. The table is created by ``migrate`` (``wallboard.wiring`` runs
``createcachetable`` after every migrate).
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connections, models, router, transaction
from django.utils.timezone import now


class _ClientPerPool(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # not in the stubs
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ClientPerPool


class AtomicDatabaseCache(DatabaseCache):
    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        self.table_name = table

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        cache_key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, key_column = quote(self.table_name), quote("cache_key")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')} FROM {table} "  # noqa: S608 - quoted names
                f"WHERE {key_column} = %s{lock}",
                [cache_key],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            expires = row[1]
            for converter in converters:
                expires = converter(expires, expression, connection)
            if expires < now():
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode()))  # noqa: S301 - our own rows
            value += delta
            pickled = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {key_column} = %s",  # noqa: S608
                [pickled, cache_key],
            )
        return value
