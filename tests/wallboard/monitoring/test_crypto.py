"""Provider credentials and PINs are encrypted at rest, and the key can be rotated."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from wallboard.monitoring.crypto import _fernet
from wallboard.monitoring.management.commands.rotate_encryption_key import encrypted_fields
from wallboard.monitoring.models import Agent, ProviderAccount

pytestmark = pytest.mark.django_db


def test_credentials_are_not_stored_in_clear() -> None:
    account = ProviderAccount.objects.create(
        name="x",
        vendor="daktela",
        base_url="http://127.0.0.1:1",
        secrets={"password": "s3cr3t-password"},
    )
    Agent.objects.create(account=account, vendor_id="1", name="A", pin="4321")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM monitoring_provideraccount")
        (raw_secrets,) = cursor.fetchone()
        cursor.execute("SELECT pin FROM monitoring_agent")
        (raw_pin,) = cursor.fetchone()
    assert "s3cr3t" not in raw_secrets
    assert "4321" not in raw_pin
    assert ProviderAccount.objects.get().secrets == {"password": "s3cr3t-password"}
    assert Agent.objects.get().pin == "4321"
    assert "s3cr3t" not in repr(account.config())


OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@contextmanager
def _keys(*keys: str) -> Iterator[None]:
    """Run with FIELD_ENCRYPTION_KEY set to ``keys`` (the cipher is built once per key set)."""
    _fernet.cache_clear()
    try:
        with override_settings(FIELD_ENCRYPTION_KEYS=list(keys)):
            yield
    finally:
        _fernet.cache_clear()


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608
        return [value for (value,) in cursor.fetchall()]


def _stored_under_old_key() -> None:
    with _keys(OLD_KEY):
        account = ProviderAccount.objects.create(
            name="x", vendor="voipsun", base_url="http://127.0.0.1:1", secrets={"password": "pw1"}
        )
        Agent.objects.create(account=account, vendor_id="1", name="A", pin="4321")
        Agent.objects.create(account=account, vendor_id="2", name="B")  # no PIN: stays ""


def test_rotation_moves_every_encrypted_field_to_the_new_key() -> None:
    _stored_under_old_key()
    with _keys(NEW_KEY), pytest.raises(ImproperlyConfigured):
        ProviderAccount.objects.get()
    out = StringIO()
    with _keys(NEW_KEY, OLD_KEY):
        call_command("rotate_encryption_key", stdout=out)
    assert "monitoring.ProviderAccount.secrets: 1 re-encrypted, 0 already" in out.getvalue()
    assert "monitoring.Agent.pin: 1 re-encrypted, 0 already" in out.getvalue()
    assert "2 value(s) re-encrypted" in out.getvalue()
    with _keys(NEW_KEY):
        assert ProviderAccount.objects.get().secrets == {"password": "pw1"}
        assert [a.pin for a in Agent.objects.order_by("vendor_id")] == ["4321", ""]
    old = Fernet(OLD_KEY.encode())
    for token in _raw("monitoring_provideraccount", "secrets") + _raw("monitoring_agent", "pin"):
        if token:
            with pytest.raises(InvalidToken):
                old.decrypt(token.encode())


def test_rotating_again_changes_nothing() -> None:
    _stored_under_old_key()
    with _keys(NEW_KEY, OLD_KEY):
        call_command("rotate_encryption_key", stdout=StringIO())
        tokens = _raw("monitoring_provideraccount", "secrets") + _raw("monitoring_agent", "pin")
        out = StringIO()
        call_command("rotate_encryption_key", stdout=out)
    assert "0 value(s) re-encrypted, 2 already under the newest key" in out.getvalue()
    assert _raw("monitoring_provideraccount", "secrets") + _raw("monitoring_agent", "pin") == tokens


def test_a_value_no_key_can_read_stops_the_rotation_and_changes_nothing() -> None:
    _stored_under_old_key()
    before = _raw("monitoring_provideraccount", "secrets") + _raw("monitoring_agent", "pin")
    with _keys(NEW_KEY), pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_encryption_key", stdout=StringIO())
    assert _raw("monitoring_provideraccount", "secrets") + _raw("monitoring_agent", "pin") == before


def test_the_command_finds_every_encrypted_field() -> None:
    found = {f"{model._meta.label}.{field.name}" for model, field in encrypted_fields()}
    assert found == {
        "monitoring.ProviderAccount.secrets",
        "monitoring.Agent.pin",
        "notifications.Rule.url",
        "notifications.Rule.secret",
    }
