"""A real web-server process (uvicorn, as production runs it) on the test database and a
real headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tools.database import database_url
from tools.processes import APP, Process, free_port, web_command

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]


def server_environment() -> dict[str, str]:
    """A child process's environment: the test settings, database and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL or "",
        "PYTHONPATH": str(ROOT),
    }


class Servers:
    """Calling it starts a server and returns its base URL; ``restart`` stops one and starts
    it again on the same port, as a deploy does."""

    def __init__(self) -> None:
        self.procs: dict[str, Process] = {}

    def __call__(self, *flags: str, app: str = APP) -> str:
        url = f"http://127.0.0.1:{free_port()}"
        self.procs[url] = Process(
            "uvicorn",
            web_command("uvicorn", self._port(url), *flags, app=app),
            server_environment(),
        )
        self.start_again(url)
        return url

    def stop(self, url: str) -> None:
        self.procs[url].stop(10)

    def start_again(self, url: str) -> None:
        self.procs[url].start().wait_for_port(self._port(url))

    def stop_all(self) -> None:
        for process in self.procs.values():
            process.stop(10)

    @staticmethod
    def _port(url: str) -> int:
        return int(url.rsplit(":", 1)[1])


StartServer = Servers


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[Servers]:
    """Start uvicorn on the test database (flags as on its command line)."""
    servers = Servers()
    yield servers
    servers.stop_all()


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which the async tests of other modules cannot share.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()
