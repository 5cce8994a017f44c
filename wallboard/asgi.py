"""ASGI entry point: HTTP through Django, WebSockets through Channels (same origin only:
scheme, host and port; ``wallboard.live.origin``)."""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallboard.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402 - needs Django set up first

from wallboard.live.middleware import socket_auth_stack  # noqa: E402
from wallboard.live.origin import SameOriginValidator  # noqa: E402
from wallboard.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(socket_auth_stack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything loaded so far lives as long as the process: keep it out of the garbage
# collector's full passes, whose pauses otherwise land on a delta going to every screen.
# django.setup() froze what it loaded (ADR 034); this adds the routing and the URLconf.
gc.freeze()
