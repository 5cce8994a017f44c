"""Real processes for the benchmarks, the soak and the tests: the one place that says how a
web server, a Celery worker or beat is started (as production starts them), and how a child
process is started, watched and stopped.

Production serves with uvicorn (ADR 012); Daphne stays available so the two can be compared
with the same method.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore

from tools.database import database_url
from wallboard.live.consumers import MAX_CLIENT_MESSAGE_BYTES
from wallboard.live.protocol import WS_PROTOCOL

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
    WS_PROTOCOL,
    "--ws-max-size",
    str(MAX_CLIENT_MESSAGE_BYTES),
    "--lifespan",
    "off",
    "--timeout-graceful-shutdown",
    "5",
    "--no-access-log",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on {port} within {timeout_s} s")


def web_command(kind: ServerKind, port: int, *flags: str, app: str = APP) -> list[str]:
    """The command line of one web-server process on 127.0.0.1:``port``; ``flags`` are added
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


def celery_command(*args: str, loglevel: str = "INFO", app: str = "wallboard") -> list[str]:
    """``celery -A wallboard <args>``: a worker or beat as production starts them."""
    return [sys.executable, "-m", "celery", "-A", app, *args, "--loglevel", loglevel]


def manage_command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


class Process:
    """One child process in its own session (process group), so a SIGKILL takes its
    children with it the way an OOM kill or a lost container does. Its output goes to
    ``log_path`` (appended, so a restarted process continues its predecessor's log); without
    one, only its errors show, on ours."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_path: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with contextlib.ExitStack() as stack:
            log = stack.enter_context(self.log_path.open("ab")) if self.log_path else None
            self.proc = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log or subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_for_port(self, port: int, timeout_s: float = 30) -> None:
        assert self.proc is not None
        wait_for_port(port, self.proc, timeout_s)

    def stop(self, timeout_s: float = 15) -> None:
        """SIGTERM to the main process (a clean shutdown), then SIGKILL to the group if it
        does not go."""
        if not self.running:
            return
        assert self.proc is not None
        self.proc.terminate()
        if not self._reap(timeout_s):
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, no goodbye."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._reap(10)

    def _reap(self, timeout_s: float) -> bool:
        assert self.proc is not None
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_lines(self, *needles: str) -> list[str]:
        """The lines of this process's output containing every one of ``needles``."""
        return [line for line in self.log().splitlines() if all(n in line for n in needles)]

    def log_tail(self, lines: int = 5) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def serve(
    *flags: str,
    kind: ServerKind = "uvicorn",
    app: str = APP,
    pythonpath: str = "",
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """One server process serving ``app`` with these settings and this database
    (``app``/``pythonpath`` let an experiment serve a variant without touching the code;
    ``env`` adds to the process environment)."""
    port = port or free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "wallboard.settings"),
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL or "",
        "PYTHONPATH": os.pathsep.join(p for p in (pythonpath, str(ROOT)) if p),
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    quiet = ("--log-level", "warning") if kind == "uvicorn" else ()
    process = Process(kind, web_command(kind, port, *quiet, *flags, app=app), env).start()
    try:
        process.wait_for_port(port)
        yield Server("127.0.0.1", port, process.pid)
    finally:
        process.stop(10)


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
