"""Start each documented way of running Wallboard from the README's own commands, and use it
as its operator and a supervisor would (CI: ``.ci/modes``; issue 13 §1).

For each mode: the set-up commands must succeed, the services must come up and be ready
(``/readyz``), the README's simulator and ``add_account`` commands must give an account, a
real sign-in (``/login/`` with its CSRF token) must work, the board must show the
simulator's agents and keep being polled by the mode's own scheduler, and ``/metrics``
must count the polls (in the Redis mode, counted by the worker, read from the web process).

The commands are read from README.md: the Quick start block (embedded), the blocks after
``<!-- ci-mode: NAME -->`` markers, and the Configuration block with ``add_account``. What
this changes in them, and nothing else:

- the values of the variables the README exports with placeholders (``…``), and of those
  that must be private to this run: a fresh database, a Redis prefix, keys, the metrics
  directory; every other exported value (``HTTPS``, ``ALLOWED_HOSTS``, …) is the README's,
  and this client then plays the TLS proxy the README puts in front;
- ports 8000 and 8103 become free ones, ``0.0.0.0`` and ``<load balancer IP>`` 127.0.0.1;
- the embedded demo gets ``--port`` and its own SQLite file;
- the set-up already done in this checkout (``python3 -m venv``, ``pip install``) is skipped.

It needs the PostgreSQL and Redis of the machine (``CI_POSTGRES_URL``, ``CI_REDIS_URL``),
and leaves nothing behind: its databases are dropped, its Redis keys deleted, its
processes stopped. No Django here: it runs the product only through its commands.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import html
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("CI_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CI_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "ci-" + secrets.token_urlsafe(12)
# Exported by the README, always given this run's own value.
PRIVATE = {
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "METRICS_TOKEN",
    "PROMETHEUS_MULTIPROC_DIR",
}
# Commands that run until stopped (the others must exit 0 before the next one starts).
SERVICES = {"uvicorn", "celery", "demo", "serve", "simulate", "watch"}
SETUP_DONE = (re.compile(r"^python3 -m venv "), re.compile(r"(^|/)pip install "))
# The demo seeds seven days of history for three accounts before it listens: about 45 s on
# this quiet 2-core machine, and more than 90 s once (3 Dec) with two test suites beside it.
START_TIMEOUT_S = 180.0
LIVE_TIMEOUT_S = 60.0


class ModeFailed(Exception):
    pass


_lane = threading.local()
_output = threading.Lock()


def say(text: str) -> None:
    """A line of this run's log, prefixed with its mode (two modes run at once)."""
    prefix = getattr(_lane, "mode", "")
    with _output:
        for line in text.strip("\n").splitlines() or [""]:
            sys.stdout.write(f"[{prefix}] {line}\n" if prefix else f"{line}\n")
        sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], object], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise ModeFailed(f"not within {timeout_s:.0f} s: {what}")
        time.sleep(0.25)


# -- The README's commands ---------------------------------------------------------------------


def _sh_blocks(text: str) -> Iterator[tuple[int, str]]:
    for match in re.finditer(r"```sh\n(.*?)```", text, re.S):
        yield match.start(), match.group(1)


def readme_block(text: str, mode: str) -> str:
    """The commands that start ``mode`` (``embedded``: the Quick start's)."""
    if mode == "embedded":
        start = text.index("## Quick start")
        return next(body for at, body in _sh_blocks(text) if at > start)
    marker = re.search(rf"<!-- ci-mode: {re.escape(mode)} -->\s*```sh\n(.*?)```", text, re.S)
    if marker is None:
        raise ModeFailed(f"README.md has no <!-- ci-mode: {mode} --> block")
    return marker.group(1)


def accounts_block(text: str) -> str:
    return next(body for _, body in _sh_blocks(text) if "manage.py add_account" in body)


def logical_lines(block: str) -> list[str]:
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]


@dataclass
class Step:
    argv: list[str]
    service: bool
    line: str


def parse(block: str, substitute: Callable[[str], str]) -> tuple[dict[str, str], list[Step]]:
    """The variables a block exports and the commands it runs, in order."""
    exported: dict[str, str] = {}
    steps: list[Step] = []
    for line in logical_lines(block):
        for command in re.split(r"\s&&\s", substitute(line)):
            words = shlex.split(command, comments=True)
            if not words:
                continue
            if words[0] == "export":
                for assignment in words[1:]:
                    name, _, value = assignment.partition("=")
                    exported[name] = value
                continue
            background = words[-1] == "&"
            words = [w for w in words if w != "&"]
            if any(p.search(" ".join(words)) for p in SETUP_DONE):
                say(f"   (done by CI in this checkout) {' '.join(words)}")
                continue
            leftover = [w for w in words if "…" in w or w.startswith("<")]
            if leftover:
                raise ModeFailed(f"README command has a placeholder this CI cannot fill: {line}")
            program = Path(words[0]).name
            is_service = (
                background
                or program in SERVICES
                or (len(words) > 2 and words[1].endswith("manage.py") and words[2] in SERVICES)
            )
            steps.append(Step(words, is_service, line))
    return exported, steps


# -- Processes ---------------------------------------------------------------------------------


@dataclass
class Service:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Run:
    mode: str
    workdir: Path
    env: dict[str, str]
    web_port: int
    sim_port: int
    services: list[Service] = field(default_factory=list)

    def substitute(self, line: str) -> str:
        line = line.replace("<load balancer IP>", "127.0.0.1")
        line = line.replace("0.0.0.0", "127.0.0.1")  # noqa: S104 - binding to loopback instead
        line = re.sub(r"\b8000\b", str(self.web_port), line)
        return re.sub(r"\b8103\b", str(self.sim_port), line)

    def run(self, step: Step) -> str:
        say(f"   $ {' '.join(step.argv)}")
        if step.service:
            log = self.workdir / f"{len(self.services)}-{Path(step.argv[0]).name}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(  # noqa: S603 - the README's command
                    step.argv,
                    cwd=ROOT,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.services.append(Service(" ".join(step.argv[:4]), proc, log))
            ports = [int(w) for w in step.argv if w in (str(self.web_port), str(self.sim_port))]
            for port in ports:
                self.wait_for_port(port, self.services[-1])
            return ""
        done = subprocess.run(  # noqa: S603 - the README's command
            step.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise ModeFailed(
                f"`{step.line}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def wait_for_port(self, port: int, service: Service) -> None:
        def listening() -> bool:
            if service.proc.poll() is not None:
                raise ModeFailed(f"{service.name} exited {service.proc.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                return True
            return False

        wait_until(listening, START_TIMEOUT_S, f"{service.name} listening on {port}")

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()


# -- The person at the browser -----------------------------------------------------------------


class Browser:
    """Sign-in and pages over HTTP, as a browser behind the README's proxy would: with
    ``HTTPS`` on, this client is the TLS proxy (``X-Forwarded-Proto``, the site's host name),
    and keeps the cookies itself (marked Secure, a cookie jar would not send them over the
    plain HTTP behind the proxy)."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        secure = env.get("HTTPS", "").lower() in ("1", "true", "yes", "on")
        host = env.get("ALLOWED_HOSTS", "127.0.0.1").split(",")[0].strip()
        self.origin = f"https://{host}" if secure else f"http://127.0.0.1:{port}"
        headers = {"Host": host} if secure else {}
        if secure and env.get("SECURE_PROXY_SSL_HEADER"):
            headers[env["SECURE_PROXY_SSL_HEADER"]] = "https"
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=20)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, path, headers=headers, **kwargs)
        for cookie in response.headers.get_list("set-cookie"):
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def sign_in(self, username: str, password: str) -> None:
        page = self.request("GET", "/login/")
        if page.status_code != 200:
            raise ModeFailed(f"GET /login/ answered {page.status_code}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None or "csrftoken" not in self.cookies:
            raise ModeFailed("the sign-in page has no CSRF token")
        answer = self.request(
            "POST",
            "/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
            headers={"Referer": f"{self.origin}/login/", "Origin": self.origin},
        )
        if answer.status_code != 302 or "sessionid" not in self.cookies:
            raise ModeFailed(f"signing in as {username} answered {answer.status_code}")
        say(f"   signed in as {username}")


def check_live(browser: Browser, account: int, metrics_token: str | None) -> None:
    """The account's state has agents, its polls keep coming from the mode's scheduler, the
    board shows them, readiness says so, and the polls are counted."""

    def state() -> dict[str, Any] | None:
        answer = browser.request("GET", f"/api/v1/accounts/{account}/state")
        if answer.status_code != 200:
            return None
        body: dict[str, Any] = answer.json()
        return body if body["agents"] and body["account"]["last_success_at"] else None

    first = wait_until(state, LIVE_TIMEOUT_S, f"account {account} with agents")
    seen = first["account"]["last_success_at"]
    later = wait_until(
        lambda: (s := state()) and s["account"]["last_success_at"] != seen and s,
        LIVE_TIMEOUT_S,
        "a later poll by the scheduler",
    )
    say(f"   polled at {seen}, then at {later['account']['last_success_at']}")
    board = browser.request("GET", "/board/")
    names = [html.escape(agent["name"]) for agent in later["agents"]]
    if board.status_code != 200 or not any(name in board.text for name in names):
        raise ModeFailed(f"/board/ ({board.status_code}) shows none of the agents {names[:3]}")
    say(f"   /board/ shows the simulator's agents ({len(names)})")

    ready = browser.client.get("/readyz")
    body = ready.json()
    if ready.status_code != 200 or body["scheduler"]["age_s"] is None:
        raise ModeFailed(f"/readyz answered {ready.status_code}: {body}")
    scheduler = body["scheduler"]
    say(f"   /readyz: ready, scheduler ({scheduler['kind']}) {scheduler['age_s']} s ago")

    if metrics_token:
        refused = browser.client.get("/metrics")
        if refused.status_code != 401:
            raise ModeFailed(f"/metrics without the token answered {refused.status_code}")
    auth = {"Authorization": f"Bearer {metrics_token}"} if metrics_token else {}
    scraped = browser.client.get("/metrics", headers=auth)
    polls = re.search(
        rf'^wallboard_polls_total\{{account="{account}",result="ok",vendor="\w+"\}} (\S+)$',
        scraped.text,
        re.M,
    )
    if scraped.status_code != 200 or polls is None or float(polls[1]) < 1:
        raise ModeFailed(f"/metrics ({scraped.status_code}) counts no polls of account {account}")
    say(f"   /metrics: {float(polls[1]):.0f} polls of account {account}")


# -- One mode ----------------------------------------------------------------------------------


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.encode())  # identifiers made here, [a-z0-9_] only


@contextlib.contextmanager
def database(name: str) -> Iterator[str]:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _forget_redis_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _private_values(run_id: str, workdir: Path, database_url: str | None) -> dict[str, str]:
    values = {
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "FIELD_ENCRYPTION_KEY": _fernet_key(),
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
    }
    if database_url:
        values["DATABASE_URL"] = database_url
    return values


def run_mode(mode: str, text: str) -> float:
    _lane.mode = mode
    started = time.monotonic()
    run_id = f"ci_modes_{os.getpid()}_{mode}"
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"{run_id}-")))
        database_url = None if mode == "embedded" else stack.enter_context(database(run_id))
        private = _private_values(run_id, workdir, database_url)
        base = {k: v for k, v in os.environ.items() if k not in PRIVATE | {"CHANNEL_PREFIX"}}
        env = {
            **base,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "CHANNEL_PREFIX": run_id,
            "PYTHONUNBUFFERED": "1",
            "SQLITE_PATH": str(workdir / "embedded.sqlite3"),
        }
        stack.callback(_forget_redis_keys, run_id)
        run = Run(mode, workdir, env, free_port(), free_port())
        exported, steps = parse(readme_block(text, mode), run.substitute)
        for name, value in exported.items():
            if name in PRIVATE:
                env[name] = private[name]
            elif "…" in value or value.startswith("<"):
                raise ModeFailed(f"README exports {name}={value}: no value for it in this CI")
            else:
                env[name] = value
        if mode == "embedded":
            for step in steps:
                if step.argv[-1] == "demo":
                    step.argv += ["--port", str(run.web_port)]
        stack.callback(run.stop)
        try:
            for step in steps:
                run.run(step)
            wait_until(lambda: _ready(run.web_port), START_TIMEOUT_S, f"/readyz on {run.web_port}")
            _, account_steps = parse(accounts_block(text), run.substitute)
            account = 0
            for step in account_steps:
                output = run.run(step)
                if "add_account" in step.argv:
                    account = int(output.split()[-1])
            if mode == "embedded":
                username, password = "admin", "demo"
            else:
                username, password = "ci-admin", PASSWORD
                run.run(
                    Step(
                        [
                            str(BIN / "python"),
                            "manage.py",
                            "createsuperuser",
                            "--noinput",
                            "--username",
                            username,
                            "--email",
                            "ci@example.com",
                        ],
                        False,
                        "createsuperuser (the README's first admin, without a terminal)",
                    )
                )
            browser = Browser(run.web_port, env)
            browser.sign_in(username, password)
            check_live(browser, account, env.get("METRICS_TOKEN"))
        except Exception:
            for service in run.services:
                say(f"\n   --- {service.name} (exit {service.proc.poll()}) ---\n{service.tail()}")
            raise
    took = time.monotonic() - started
    say(f"   {mode}: passed in {took:.1f} s")
    return took


def _ready(port: int) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
    return False


# Two lanes at once: the embedded mode beside the two PostgreSQL ones, which run one after
# the other since both collect the static files into the checkout.
LANES = (("embedded",), ("postgres", "redis"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    every = [mode for lane in LANES for mode in lane]
    parser.add_argument("modes", nargs="*", help=f"some of {', '.join(every)} (default: all)")
    args = parser.parse_args()
    if unknown := set(args.modes) - set(every):
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    args.modes = args.modes or every
    text = README.read_text()
    # The password createsuperuser --noinput takes; only the CI's own runs read it.
    os.environ["DJANGO_SUPERUSER_PASSWORD"] = PASSWORD
    started = time.monotonic()
    failures: list[str] = []

    def lane(modes: list[str]) -> None:
        for mode in modes:
            try:
                run_mode(mode, text)
            except (ModeFailed, subprocess.TimeoutExpired, httpx.HTTPError, ValueError) as err:
                say(f"   {mode}: FAILED: {err}")
                failures.append(mode)

    lanes = [[m for m in lane if m in args.modes] for lane in LANES]
    threads = [threading.Thread(target=lane, args=(modes,)) for modes in lanes if modes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    say(f"\nall modes in {time.monotonic() - started:.0f} s")
    say(f"modes: {len(args.modes) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
