"""Carry out one action: validate, authorise, call the vendor, audit, refresh the wall."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from providers.base import Provider
from providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    ProviderUnavailableError,
    UnsupportedActionError,
)
from wallboard import metrics
from wallboard.accounts.access import Scope
from wallboard.accounts.models import Profile
from wallboard.actions.models import AuditEntry
from wallboard.actions.specs import ACTIONS, ActionSpec
from wallboard.monitoring.adapters import build_provider
from wallboard.monitoring.models import ProviderAccount
from wallboard.monitoring.scheduler import request_poll

log = logging.getLogger("wallboard.actions")

# What follows a successful action: the wiring's refresh (the URLconf passes it to the
# view); on its own, the account is only made due for the scheduler's next tick.
AfterAction = Callable[[ProviderAccount], None]

# Parameters that are never written to the audit log, whatever an action calls them.
SECRET_PARAMS = frozenset({"pin", "password", "api_key", "csrfmiddlewaretoken"})

STATUS_FOR_ERROR: list[tuple[type[ProviderError], HTTPStatus]] = [
    (UnsupportedActionError, HTTPStatus.BAD_REQUEST),
    (ProviderRefusedError, HTTPStatus.CONFLICT),
    (ProviderNotFoundError, HTTPStatus.NOT_FOUND),
    (ProviderAuthError, HTTPStatus.BAD_GATEWAY),
    (ProviderUnavailableError, HTTPStatus.SERVICE_UNAVAILABLE),
    (ProviderError, HTTPStatus.BAD_GATEWAY),
]


@dataclass
class Outcome:
    ok: bool
    status: HTTPStatus
    message: str
    errors: dict[str, list[str]] = field(default_factory=dict)


def _loggable(data: dict[str, Any]) -> dict[str, str]:
    return {k: str(v)[:200] for k, v in data.items() if k not in SECRET_PARAMS}


def perform(
    user: AbstractBaseUser,
    account: ProviderAccount,
    action: str,
    data: dict[str, Any],
    *,
    provider: Provider | None = None,
    scope: Scope | None = None,
    after_action: AfterAction = request_poll,
) -> Outcome:
    """Do ``action`` on ``account`` for ``user`` with the submitted ``data``.

    An action name that is not one of ``ACTIONS`` is a 404 and leaves no audit entry: the
    log holds what people did, not whatever text was posted to the URL. After a success
    ``after_action(account)`` shows its effect on the screens.
    """
    spec: ActionSpec | None = ACTIONS.get(action)
    if spec is None:
        return unknown_action(account)
    scope = scope or Scope.of(user)
    audit = AuditEntry(
        user_id=user.pk,
        username=user.get_username(),
        role=scope.role.value if scope.role else "",
        account=account,
        action=spec.name,
        params=_loggable(data),
    )
    refused = Outcome(False, HTTPStatus.FORBIDDEN, _("You are not allowed to do that."))
    if not scope.may_try(self_service=spec.self_service):
        return _finish(audit, refused)
    provider = provider or build_provider(account)
    try:
        if not provider.supports(spec.capability):
            return _finish(
                audit,
                Outcome(
                    False,
                    HTTPStatus.BAD_REQUEST,
                    _("%(vendor)s does not support “%(action)s”.")
                    % {"vendor": provider.title, "action": spec.label},
                ),
            )
        profile = Profile.objects.filter(user_id=user.pk or 0).first()
        form = spec.form(
            data,
            account=account,
            provider=provider,
            listener=profile.extension if profile else "",
        )
        if not form.is_valid():
            errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
            message = " ".join(" ".join(v) for v in errors.values())
            return _finish(audit, Outcome(False, HTTPStatus.BAD_REQUEST, message, errors))
        target = form.target()
        audit.target = target.describe()[:300]
        if not scope.may_act(account, target, self_service=spec.self_service):
            return _finish(audit, refused)
        started = time.perf_counter()
        try:
            spec.run(provider, form.cleaned_data, form)
        except ProviderError as err:
            audit.duration_ms = (time.perf_counter() - started) * 1000
            audit.vendor_code = err.code or ""
            status = next(s for cls, s in STATUS_FOR_ERROR if isinstance(err, cls))
            return _finish(audit, Outcome(False, status, err.message))
        audit.duration_ms = (time.perf_counter() - started) * 1000
        after_action(account)
        return _finish(audit, Outcome(True, HTTPStatus.OK, _("Done: %s.") % spec.label))
    finally:
        provider.close()


def unknown_action(account: ProviderAccount) -> Outcome:
    """A name that is not one of ``ACTIONS``: a 404, counted, and no audit entry."""
    outcome = Outcome(False, HTTPStatus.NOT_FOUND, _("Unknown action."))
    _count(account.vendor, "unknown", outcome)
    return outcome


def _count(vendor: str, action: str, outcome: Outcome) -> None:
    """Action names come from the URL: only known ones become label values."""
    known = action if action in ACTIONS else "unknown"
    metrics.ACTIONS.labels(vendor, known, str(outcome.status.value)).inc()


def _finish(audit: AuditEntry, outcome: Outcome) -> Outcome:
    _count(audit.account.vendor if audit.account else "", audit.action, outcome)
    audit.ok = outcome.ok
    audit.error = "" if outcome.ok else outcome.message
    audit.created_at = timezone.now()
    audit.save()
    log.info(
        "%s %s %s on %s: %s",
        audit.username,
        audit.action,
        audit.target or "-",
        audit.account_id,
        "ok" if outcome.ok else outcome.message,
    )
    return outcome
