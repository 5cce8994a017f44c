"""One UPDATE for many rows of one model: the generic statement the store writes with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models

RowT = TypeVar("RowT", bound=models.Model)


def update_rows(model: type[RowT], rows: Sequence[RowT], fields: Sequence[str]) -> None:
    """Save ``fields`` of the saved ``rows`` in one statement per call.

    Django's ``bulk_update`` builds a ``CASE WHEN id = … THEN …`` per field and row, and
    compiling that tree costs more CPU than the rest of a poll. On PostgreSQL this sends
    ``UPDATE t SET f = v.f, … FROM unnest(%s::<type>[], …) AS v(id, f, …) WHERE t.id = v.id``
    with one array per column: the statement text depends only on the model and fields, so
    psycopg parses it once, and the parameters stay few however many rows there are. Each
    value goes through its field's ``get_db_prep_save``; the casts give NULLs a type. Other
    databases (SQLite in the embedded demo) use ``bulk_update``.
    """
    if not rows:
        return
    # The connection itself, not the ``django.db.connection`` proxy: each value's
    # ``get_db_prep_save`` reads it several times.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, fields)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    by_name = {f.name: f for f in meta.concrete_fields}
    columns = [pk, *(by_name[name] for name in fields)]
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in columns)
    sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in columns[1:])
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    table, key = qn(meta.db_table), qn(pk.column)
    # Identifiers come from the model's meta; every value is a parameter.
    sql = f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v ({names}) "  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql + f"WHERE t.{key} = v.{key}",
            [
                [f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows]
                for f in columns
            ],
        )
