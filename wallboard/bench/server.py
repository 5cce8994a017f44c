"""A real web-server process (as production starts it) on the benchmark database, and a
signed-in session to open boards with.

Production serves with uvicorn (ADR 012); Daphne stays available so the two can be compared
with the same method."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore

from wallboard.bench.database import database_url
from wallboard.live.consumers import MAX_CLIENT_MESSAGE_BYTES

ROOT = Path(settings.BASE_DIR)
APP = "wallboard.asgi:application"
ServerKind = Literal["uvicorn", "daphne"]

# The production command line (Dockerfile, docker-compose.yml) without the address, the port
# and the proxy settings, and without the access log.
UVICORN_ARGS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--ws",
    "websockets-sansio",
    "--ws-max-size",
    str(MAX_CLIENT_MESSAGE_BYTES),
    "--lifespan",
    "off",
    "--timeout-graceful-shutdown",
    "5",
    "--no-access-log",
)


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the web server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the web server did not listen on {port} within {timeout_s} s")


def command(kind: ServerKind, port: int, *flags: str, app: str = APP) -> list[str]:
    """The command line of one server process on 127.0.0.1:``port``; ``flags`` are added
    after the defaults, so they can override them (uvicorn: the last value wins)."""
    if kind == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *flags, app]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *UVICORN_ARGS,
        *flags,
        app,
    ]


@contextmanager
def serve(
    *flags: str,
    kind: ServerKind = "uvicorn",
    app: str = APP,
    pythonpath: str = "",
    port: int | None = None,
) -> Iterator[Server]:
    """One server process serving ``app`` with these settings and this database
    (``app``/``pythonpath`` let an experiment serve a variant without touching the code)."""
    port = port or free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "wallboard.settings"),
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL or "",
        "PYTHONPATH": os.pathsep.join(p for p in (pythonpath, str(ROOT)) if p),
        "LOG_LEVEL": "WARNING",
    }
    quiet = ("--log-level", "warning") if kind == "uvicorn" else ()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command(kind, port, *quiet, *flags, app=app), cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, proc)
        yield Server("127.0.0.1", port, proc.pid)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (both servers then close their sockets and finish), SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def viewer_session(username: str = "bench-viewer") -> str:
    """A session key for a user who sees every account (the ``sessionid`` cookie)."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_superuser(username=username, email="", password=None)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key
