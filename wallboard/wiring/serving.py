"""One process that serves and polls: uvicorn with the production settings (ADR 012), the
embedded poll scheduler and the vendor feeds' supervisor (ADR 019), for the modes without
Redis (``manage.py demo``, ``manage.py serve``). The in-memory channel layer only reaches
the sockets of its own process, so these modes are one process by design; with Redis,
uvicorn and Celery run apart.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from types import FrameType

from wallboard.live import push
from wallboard.live.consumers import MAX_CLIENT_MESSAGE_BYTES
from wallboard.wiring.pipeline import embedded_scheduler, feed_supervisor


def serve_in_process(
    host: str, port: int, *, log_level: str = "warning", proxy_headers: bool = True
) -> None:
    """Serve HTTP and WebSockets on ``host:port``, polling in threads of this process,
    until SIGINT or SIGTERM. With ``proxy_headers``, they are trusted from
    ``FORWARDED_ALLOW_IPS`` (uvicorn's variable; 127.0.0.1 by default), as with the uvicorn
    command."""
    import uvicorn
    import uvloop

    from wallboard.asgi import application

    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host=host,
            port=port,
            http="httptools",
            ws="wallboard.live.protocol:WebSocketProtocol",  # ADR 018
            ws_max_size=MAX_CLIENT_MESSAGE_BYTES,
            lifespan="off",
            timeout_graceful_shutdown=5,
            proxy_headers=proxy_headers,
            log_level=log_level,
        )
    )

    async def serve() -> None:
        # Pushes must run on the server's loop: the in-memory layer's queues live there.
        push.use_event_loop(asyncio.get_running_loop())
        scheduler = embedded_scheduler().start()
        feeds = feed_supervisor().start()
        try:
            await server.serve()
        finally:
            await asyncio.to_thread(feeds.stop)
            await asyncio.to_thread(scheduler.stop)

    # uvicorn stops gracefully on SIGTERM, then raises it again with the handler it found:
    # with this one the scheduler's threads finish their polls and the process exits
    # cleanly, instead of dying from the default handler.
    signal.signal(signal.SIGTERM, _exit)
    uvloop.run(serve())


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)
