"""``manage.py rotate_encryption_key``: re-encrypt every stored secret with the newest key.

To rotate: put the new key in front (``FIELD_ENCRYPTION_KEY=new,old``) on every process and
restart them, run this command, then drop the old key. Every field of every model that is an
``EncryptedField`` is rotated, in one transaction; a value already under the newest key is
left as it is, so running the command again changes nothing.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Field, Model

from wallboard.monitoring.crypto import EncryptedField, is_current, rotate


def encrypted_fields() -> list[tuple[type[Model], Field[Any, Any]]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedField)
    ]


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        totals = [0, 0]
        with transaction.atomic(), connection.cursor() as cursor:
            for model, field in encrypted_fields():
                # Raw SQL: the ORM would decrypt the column on the way out.
                table = connection.ops.quote_name(model._meta.db_table)
                column = connection.ops.quote_name(field.column)
                pk = connection.ops.quote_name(model._meta.pk.column)
                lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
                cursor.execute(
                    f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''{lock}"  # noqa: S608 - names from the model
                )
                rotated = current = 0
                for row_pk, token in cursor.fetchall():
                    if is_current(token):
                        current += 1
                        continue
                    try:
                        fresh = rotate(token)
                    except InvalidToken as err:
                        raise CommandError(
                            f"{model._meta.label}.{field.name} of row {row_pk} cannot be "
                            "decrypted with any key in FIELD_ENCRYPTION_KEY; nothing was changed"
                        ) from err
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [fresh, row_pk],
                    )
                    rotated += 1
                totals[0] += rotated
                totals[1] += current
                self.stdout.write(
                    f"{model._meta.label}.{field.name}: {rotated} re-encrypted, "
                    f"{current} already under the newest key"
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"{totals[0]} value(s) re-encrypted, {totals[1]} already under the newest key"
            )
        )
