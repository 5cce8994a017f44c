"""``/api/v1/``: the NinjaAPI, its errors and its JSON (ADR 025).

Every error is JSON with a ``detail`` a person can read: 400 for a parameter that is not
what the operation takes (with ``errors`` naming each), 401 without a valid token, 403 for
what a role never gets whatever the id (the history and the audit log are for supervisors
and admins, as on the pages), 404 for what does not exist *or* is not the person's to see,
never telling the two apart.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from wallboard.api.auth import api_token
from wallboard.api.endpoints import router
from wallboard.api.params import BadParameter

DESCRIPTION = """\
Read-only access to the accounts, queues, agents, current state, history and audit log of
Wallboard, with the same rules as its pages: a token sees what its owner sees.

Make a token in your profile (`/profile/`) or ask an admin to make one in `/admin/`, and send
it as `Authorization: Bearer wbt_…`. Lists are paginated with `limit` (1 to 1000, default 100)
and `offset`, and say how many items there are in `count`.
"""


class Renderer(JSONRenderer):
    # Names from the vendors (Novák, Łukasz) stay readable, as in the state JSON.
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="Wallboard API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=api_token,
    renderer=Renderer(),
)
api.add_router("", router)


def error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def _parameter(request: HttpRequest, loc: tuple[Any, ...]) -> str:
    """The name the client sent: pydantic's path to the error also holds the query schema
    the parameter sits in and the branch of an optional type (``filters.queue.none``)."""
    sent = set(request.GET) | set(request.resolver_match.kwargs if request.resolver_match else ())
    names = [str(part) for part in loc[1:]]
    return next((name for name in names if name in sent), names[-1] if names else "")


@api.exception_handler(ValidationError)
def bad_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """400, one entry per parameter: the first reason (an optional id that is no id fails
    both as an id and as "absent"; the id's reason is the one to read)."""
    reasons: dict[str, str] = {}
    for e in exc.errors:
        reasons.setdefault(_parameter(request, tuple(e["loc"])), e["msg"])
    return _bad_request(request, reasons)


@api.exception_handler(BadParameter)
def bad_parameter(request: HttpRequest, exc: BadParameter) -> HttpResponse:
    return _bad_request(request, {exc.parameter: exc.message})


def _bad_request(request: HttpRequest, reasons: dict[str, str]) -> HttpResponse:
    errors = [{"parameter": name, "message": message} for name, message in reasons.items()]
    detail = "; ".join(f"{name}: {message}" for name, message in reasons.items())
    return error(request, 400, _("Bad parameters: %(errors)s") % {"errors": detail}, errors=errors)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """No token (or not a Bearer one), or a token refused, saying why (RFC 6750)."""
    if exc.message == AuthenticationError().message:
        detail, challenge = _("Send an API token: Authorization: Bearer wbt_…"), "Bearer"
    else:
        detail, challenge = exc.message, 'Bearer error="invalid_token"'
    response = error(request, 401, detail)
    response["WWW-Authenticate"] = challenge
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, exc.message)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, str(exc) or _("Not found."))


def no_such_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other URL under ``/api/v1/``: a JSON 404 like the rest, not the site's page."""
    return error(request, 404, _("There is no such API URL; see /api/v1/openapi.json."))
