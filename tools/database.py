"""A throw-away PostgreSQL database for one benchmark run (created, migrated, dropped)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

BENCH_DATABASE = "wallboard_bench"


def _admin(sql: str) -> None:
    db = connections["default"].settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    ) as conn:
        conn.execute(sql.encode())  # fixed identifiers checked by the caller


def database_url() -> str:
    """The URL of the database the default connection uses now (for subprocesses)."""
    db = connections["default"].settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def bench_database(name: str = BENCH_DATABASE) -> Iterator[str]:
    """Create ``name``, point the default connection at it and migrate; drop it afterwards."""
    if connections["default"].vendor != "postgresql":
        raise CommandError("manage.py bench needs PostgreSQL (DATABASE_URL=postgres://…).")
    if not name.replace("_", "").isalnum():
        raise CommandError(f"bad benchmark database name {name!r}")
    old_name = connections["default"].settings_dict["NAME"]
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    connections.close_all()
    connections["default"].settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield name
    finally:
        connections.close_all()
        connections["default"].settings_dict["NAME"] = old_name
        settings.DATABASES["default"]["NAME"] = old_name
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
