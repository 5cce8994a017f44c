"""API tokens: made, shown once, kept as a digest, checked, revoked (``ApiToken``).

A token reads ``wbt_<key id>_<secret>``: 8 and 43 random letters and digits (base 62, so
it selects with a double click and needs no escaping anywhere): 47 bits to find the row,
256 bits of secret. The key id is stored in the clear to find the row and to show which
token is which; the whole token only as its SHA-256 digest. A slow password hash is not
needed: the secret is 256 random bits, not something a person chose (django-rest-knox and
GitHub do the same). Nothing depends on ``SECRET_KEY``, so rotating it leaves tokens
working.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from django.utils import timezone

from wallboard.accounts.models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PREFIX = "wbt_"
ALPHABET = string.ascii_letters + string.digits
KEY_ID_LENGTH, SECRET_LENGTH = 8, 43
TOKEN_SHAPE = re.compile(r"wbt_(?P<key_id>[A-Za-z0-9]{8})_[A-Za-z0-9]{43}")
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)
# A person's tokens: enough for every integration, few enough to keep the list readable.
MAX_TOKENS_PER_USER = 20


def _text(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(row: ApiToken) -> str:
    """Give an unsaved ``row`` (its user, name and expiry set) its key and save it; the
    token returned is the only time it can be read."""
    while True:
        key_id = _text(KEY_ID_LENGTH)
        if not ApiToken.objects.filter(key_id=key_id).exists():
            break
    token = f"{PREFIX}{key_id}_{_text(SECRET_LENGTH)}"
    row.key_id, row.digest = key_id, digest_of(token)
    row.save()
    return token


Refusal = Literal["unknown", "expired", "inactive"]


class TokenRefused(Exception):
    """The token was not accepted, and why (the caller words it for whoever holds it)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason: Refusal = reason


def authenticate(token: str, now: datetime | None = None) -> User:
    """The active user the token belongs to, or ``TokenRefused``."""
    now = now or timezone.now()
    shape = TOKEN_SHAPE.fullmatch(token)
    row = (
        ApiToken.objects.select_related("user").filter(key_id=shape["key_id"]).first()
        if shape
        else None
    )
    if row is None or not hmac.compare_digest(row.digest, digest_of(token)):
        raise TokenRefused("unknown")
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenRefused("expired")
    if not row.user.is_active:
        raise TokenRefused("inactive")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
