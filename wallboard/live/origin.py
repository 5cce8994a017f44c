"""Sockets open only from the site's own pages: the Origin must be this site's origin —
scheme, host and port, as the browser addressed it — or one of ``CSRF_TRUSTED_ORIGINS``,
and the Host one of ``ALLOWED_HOSTS``.

Channels' ``AllowedHostsOriginValidator`` compares host names only, so a page served from
another port of the same host (any local web app) could read the board with the user's
cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

Scope = dict[str, Any]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _scheme(scope: Scope) -> str:
    """http or https, as the browser sees the site: the connection's, or what a
    TLS-terminating proxy says in ``SECURE_PROXY_SSL_HEADER``."""
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header = proxy[0].removeprefix("HTTP_").lower().replace("_", "-").encode()
        said = _header(scope, header)
        if said is not None:
            return "https" if said.split(",")[0].strip() == proxy[1] else "http"
    return "https" if scope.get("scheme") in ("wss", "https") else "http"


def allowed_origins(scope: Scope) -> list[str] | None:
    """The origins a socket may come from, or None when the Host itself is not allowed."""
    host = _header(scope, b"host")
    if host is None:
        return None
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return [f"{_scheme(scope)}://{host.lower()}", *settings.CSRF_TRUSTED_ORIGINS]


class SameOriginValidator(OriginValidator):  # type: ignore[misc]
    def __init__(self, application: Any) -> None:
        super().__init__(application, [])

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        allowed = allowed_origins(scope)
        origin = _header(scope, b"origin")
        parsed = urlparse(origin) if origin else None
        same = (
            allowed is not None
            and parsed is not None
            and parsed.scheme in ("http", "https")
            and any(self.match_allowed_origin(parsed, pattern) for pattern in allowed)
        )
        if same:
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
