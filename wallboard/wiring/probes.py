"""``/healthz``, ``/readyz`` and ``/metrics``, answered by the first middleware (ADR 024).

Load balancers, container healthchecks and Prometheus reach a process by its own address
(``127.0.0.1:8000``, a pod IP) over plain HTTP, with no cookies. Answered before the rest of
the stack, these never meet the host check (``ALLOWED_HOSTS``), the HTTPS redirect, the
session or the language, and ``/healthz`` touches nothing at all: it answers whenever the
process can.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

from wallboard.wiring.health import readiness
from wallboard.wiring.scrape import exposition

NO_STORE = {"Cache-Control": "no-store"}


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok\n", content_type="text/plain; charset=utf-8", headers=NO_STORE)


def readyz(request: HttpRequest) -> HttpResponse:
    ready, body = readiness()
    return HttpResponse(
        json.dumps(body).encode(),
        status=200 if ready else 503,
        content_type="application/json",
        headers=NO_STORE,
    )


def _authorised(request: HttpRequest) -> bool:
    token: str | None = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        return HttpResponse(
            b"Authorization: Bearer <METRICS_TOKEN> required\n",
            status=401,
            content_type="text/plain; charset=utf-8",
            headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, content_type = exposition(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type, headers=NO_STORE)


Probe = Callable[[HttpRequest], HttpResponse]
PROBES: dict[str, Probe] = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


def _method_not_allowed() -> HttpResponse:
    return HttpResponse(status=405, headers={**NO_STORE, "Allow": "GET, HEAD"})


@sync_and_async_middleware
def probes(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            probe = PROBES.get(request.path_info)
            if probe is None:
                response: Awaitable[HttpResponse] = get_response(request)
                return await response
            if request.method not in ("GET", "HEAD"):
                return _method_not_allowed()
            if probe is healthz:
                return healthz(request)
            # The readiness checks and the scrape block (database, Redis, files).
            return await sync_to_async(probe)(request)

        return markcoroutinefunction(async_middleware)

    def middleware(request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return get_response(request)  # type: ignore[no-any-return]
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed()
        return probe(request)

    return middleware
