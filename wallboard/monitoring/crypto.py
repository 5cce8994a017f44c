"""Encryption at rest for provider credentials and agent PINs (Fernet, key from the env).

``FIELD_ENCRYPTION_KEY`` may hold several comma-separated keys, newest first: values are
encrypted with the first and decrypted with any, which is how keys are rotated
(``manage.py rotate_encryption_key`` re-encrypts every stored value with the newest key).
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])
    except ValueError as err:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be a urlsafe-base64 32-byte key "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from err


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored credential cannot be decrypted with FIELD_ENCRYPTION_KEY "
            "(was the key changed without rotating?)"
        ) from None


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()


def is_current(token: str) -> bool:
    """Is ``token`` encrypted with the newest key (so rotating it would change nothing)?"""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


if TYPE_CHECKING:
    _SecretsField = models.TextField[dict[str, str], dict[str, str]]
    _SecretField = models.TextField[str, str]
else:
    _SecretsField = _SecretField = models.TextField


class EncryptedField:
    """Marks a field whose column holds a Fernet token (found by ``rotate_encryption_key``)."""


class EncryptedJSONField(EncryptedField, _SecretsField):
    """A dict of secrets stored as one Fernet token; ``{}`` when empty."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> dict[str, str]:
        if not value:
            return {}
        loaded: dict[str, str] = json.loads(decrypt(value))
        return loaded

    def to_python(self, value: Any) -> dict[str, str]:
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        loaded: dict[str, str] = json.loads(decrypt(value))
        return loaded

    def get_prep_value(self, value: Any) -> str:
        return encrypt(json.dumps(value or {}, sort_keys=True))


class EncryptedTextField(EncryptedField, _SecretField):
    """One secret string (an agent's PIN); ``""`` when empty."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        return decrypt(value) if value else ""

    def get_prep_value(self, value: Any) -> str:
        return encrypt(str(value)) if value else ""
