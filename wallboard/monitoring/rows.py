"""The generic statements the store writes with: one UPDATE, INSERT or DELETE for many rows
of one model, each built once per model and fields; and a row known without reading it.

Django's own (``bulk_update``, ``bulk_create``, ``QuerySet.delete``) compile a query tree on
every call, which on the poll's path costs more CPU than the database's work. On PostgreSQL
these send one statement whose text depends only on the model and fields (so psycopg
parses it once), with one array parameter per column. Other databases (SQLite in the
embedded demo) use Django's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

RowT = TypeVar("RowT", bound=models.Model)

# Field classes whose ``get_db_prep_save`` returns a value of these types (or None) as it is
# on PostgreSQL; calling it anyway is most of this module's CPU at 1,000 agents. Anything
# else (another type, a naive datetime, an expression) still goes through the field.
_AS_IS: dict[type[models.Field[Any, Any]], type] = {
    models.AutoField: int,
    models.BigAutoField: int,
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.BigIntegerField: int,
    models.FloatField: float,
    models.BooleanField: bool,
    models.DateTimeField: datetime,
    models.ForeignKey: int,
}


def _preparer(
    field: models.Field[Any, Any], connection: BaseDatabaseWrapper
) -> Callable[[Any], Any]:
    kind = _AS_IS.get(type(field))
    prep = field.get_db_prep_save
    if kind is None:
        return lambda value: prep(value, connection)

    def prepared(value: Any) -> Any:
        if value is None or (type(value) is kind and getattr(value, "tzinfo", True) is not None):
            return value
        return prep(value, connection)

    return prepared


def known_row(model: type[RowT], values: dict[str, Any]) -> RowT:
    """The saved row that holds ``values`` (attnames, the pk among them), without reading
    it: the model's other fields are deferred, so reading one still asks the database."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[n] for n in names])


def update_rows(model: type[RowT], rows: Sequence[RowT], fields: Sequence[str]) -> None:
    """Save ``fields`` of the saved ``rows`` in one statement per call.

    Django's ``bulk_update`` builds a ``CASE WHEN id = … THEN …`` per field and row, and
    compiling that tree costs more CPU than the rest of a poll. On PostgreSQL this sends
    ``UPDATE t SET f = v.f, … FROM unnest(%s::<type>[], …) AS v(id, f, …) WHERE t.id = v.id``
    with one array per column: the statement text depends only on the model and fields, so
    psycopg parses it once, and the parameters stay few however many rows there are. One
    row (a fed agent's change) is a plain ``UPDATE … WHERE id = %s``: psycopg adapts a
    scalar for a fraction of what an array costs it. Each value goes through its field's
    ``get_db_prep_save``; the casts give NULLs a type. Other databases (SQLite in the
    embedded demo) use ``bulk_update``. No ``fields``, nothing to save.
    """
    if not rows or not fields:
        return
    # The connection itself, not the ``django.db.connection`` proxy: each value's
    # ``get_db_prep_save`` reads it several times.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, fields)
        return
    one = len(rows) == 1
    sql, columns = _update_statement(model, tuple(fields), one=one)
    preparers = [(_preparer(f, connection), f.attname) for f in columns]
    if one:
        [row] = rows
        arguments = [prepare(getattr(row, attname)) for prepare, attname in preparers]
    else:
        arguments = [[prepare(getattr(r, attname)) for r in rows] for prepare, attname in preparers]
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)


@functools.cache
def _update_statement(
    model: type[models.Model], fields: tuple[str, ...], *, one: bool
) -> tuple[str, list[models.Field[Any, Any]]]:
    """``update_rows``'s statement and the columns its parameters are, in order: built once
    per model, fields and shape (the column types take Django a while to say)."""
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    by_name = {f.name: f for f in meta.concrete_fields}
    columns = [pk, *(by_name[name] for name in fields)]
    qn = connection.ops.quote_name
    table, key = qn(meta.db_table), qn(pk.column)
    # Identifiers come from the model's meta; every value is a parameter.
    if one:
        sets = ", ".join(f"{qn(f.column)} = %s::{f.db_type(connection)}" for f in columns[1:])
        sql = f"UPDATE {table} SET {sets} WHERE {key} = %s"  # noqa: S608
        return sql, [*columns[1:], pk]
    names = ", ".join(qn(f.column) for f in columns)
    sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in columns[1:])
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    sql = (
        f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v ({names}) "  # noqa: S608
        f"WHERE t.{key} = v.{key}"
    )
    return sql, columns


def insert_rows(model: type[RowT], rows: Sequence[RowT]) -> None:
    """Insert the new ``rows`` in one statement, ``INSERT … SELECT * FROM unnest(…)``. Their
    pks are not read back: for rows nobody refers to by pk (waiting callers, calls, samples)."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)
        return
    sql, columns = _insert_statement(model)
    arguments = []
    for f in columns:
        prepare = _preparer(f, connection)
        arguments.append([prepare(f.pre_save(row, True)) for row in rows])
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)


@functools.cache
def _insert_statement(model: type[models.Model]) -> tuple[str, list[models.Field[Any, Any]]]:
    connection = connections[DEFAULT_DB_ALIAS]
    columns = [f for f in model._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in columns)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    table = qn(model._meta.db_table)
    return f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})", columns  # noqa: S608


def delete_rows(
    model: type[RowT],
    field: str,
    values: Sequence[Any],
    *,
    where: tuple[str, Any] | None = None,
    returning: str | None = None,
) -> list[Any]:
    """Delete the rows whose ``field`` is one of ``values`` and, with ``where``, whose other
    field equals a value; with ``returning``, that field of each row deleted (NULLs left
    out), in the same statement. For models with nothing to do on a delete (no signals, no
    cascades), as Django's fast delete requires too."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        rows = model._default_manager.filter(**{f"{field}__in": values})
        if where is not None:
            rows = rows.filter(**{where[0]: where[1]})
        gone = []
        if returning is not None:
            gone = list(
                rows.exclude(**{f"{returning}__isnull": True}).values_list(returning, flat=True)
            )
        rows.delete()
        return gone
    sql = _delete_statement(model, field, where and where[0], returning)
    arguments = [list(values)] if where is None else [list(values), where[1]]
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)
        return [] if returning is None else [r[0] for r in cursor.fetchall() if r[0] is not None]


@functools.cache
def _delete_statement(
    model: type[models.Model], field: str, where: str | None, returning: str | None
) -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    meta, qn = model._meta, connection.ops.quote_name

    def column(name: str) -> models.Field[Any, Any]:
        found = meta.get_field(name)
        assert isinstance(found, models.Field)
        return found

    matched = column(field)
    sql = (
        f"DELETE FROM {qn(meta.db_table)} "  # noqa: S608 - the model's own names, quoted
        f"WHERE {qn(matched.column)} = ANY(%s::{matched.db_type(connection)}[])"
    )
    if where is not None:
        sql += f" AND {qn(column(where).column)} = %s"
    if returning is not None:
        sql += f" RETURNING {qn(column(returning).column)}"
    return sql
