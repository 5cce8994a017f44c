"""The one error hierarchy adapters raise (DESIGN §4).

Every vendor failure is translated at the adapter boundary into one of these, carrying the
vendor's own code and a message a supervisor can read. Messages never contain credentials.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base class. ``message`` is for people; ``code`` is the vendor's own error code."""

    default_message = "The telephony provider returned an error."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        self.code = code
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} (code {self.code})" if self.code else self.message


class ProviderAuthError(ProviderError):
    default_message = "The provider refused our credentials."


class ProviderNotFoundError(ProviderError):
    default_message = "The provider does not know this queue, agent or call."


class ProviderRefusedError(ProviderError):
    """The request was understood but refused in the current state (e.g. logout during a call)."""

    default_message = "The provider refused the action."


class ProviderUnavailableError(ProviderError):
    """Network failure, timeout, HTTP 5xx, or rate limiting."""

    default_message = "The provider cannot be reached."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


class NoReplyError(ProviderUnavailableError):
    """No HTTP reply at all: refused, reset or timed out.

    A snapshot stops at the first one: the host's other endpoints would keep the poll
    waiting a timeout each (past the poll's lease) for the same answer.
    """


class ProviderBadResponseError(ProviderError):
    """The reply could not be read: wrong format, wrong types, hostile or oversized."""

    default_message = "The provider sent a reply we cannot read."


class UnsupportedActionError(ProviderError):
    default_message = "This provider does not support that action."
