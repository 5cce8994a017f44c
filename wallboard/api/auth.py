"""Who is calling: a person's API token (``Authorization: Bearer wbt_…``), or, for the state
URL that the pages themselves read, their signed-in session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from wallboard.accounts.tokens import TokenRefused, authenticate

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ApiToken(HttpBearer):
    """A token stands for its owner: ``request.user`` becomes them, so the pages' own rules
    (``scope_for``) apply unchanged. A token that is sent but refused is a 401 at once, even
    with a session cookie beside it."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        try:
            user = authenticate(token)
        except TokenRefused as refused:
            messages = {
                "unknown": _("This API token is not valid: mistyped, or revoked."),
                "expired": _("This API token has expired."),
                "inactive": _("The account this API token belongs to is disabled."),
            }
            raise AuthenticationError(message=messages[refused.reason]) from None
        request.user = user
        return user


api_token = ApiToken()
session = SessionAuth()
