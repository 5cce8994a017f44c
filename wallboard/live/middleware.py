"""The WebSocket side of the ASGI stack: cookies, the Django session and the user, as
Channels' ``AuthMiddlewareStack`` gives them, without a wrapper around every frame sent."""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, InstanceSessionWrapper, SessionMiddleware


class SocketSessionMiddleware(SessionMiddleware):  # type: ignore[misc]
    """Channels' session middleware, handing the consumer the server's own ``send``.

    Its wrapper around ``send`` saves the session and sets the cookie on an HTTP response
    start, which a WebSocket never sends, yet it reads the session's state twice for every
    frame: a sixth of the web process's CPU when one change goes to a thousand screens
    (ADR 018). A consumer that changes the session saves it itself, as it must already."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        return await self.inner(wrapper.scope, receive, send)


def socket_auth_stack(inner: Any) -> Any:
    """``channels.auth.AuthMiddlewareStack`` with :class:`SocketSessionMiddleware`."""
    return CookieMiddleware(SocketSessionMiddleware(AuthMiddleware(inner)))
