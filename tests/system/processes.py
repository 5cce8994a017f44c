"""Real processes for the system tests: web servers, Celery workers and beat, a private Redis.

Each process runs in its own session (process group), so a SIGKILL takes its children with
it the way an OOM kill or a lost container does, and writes stderr to a file the test reads
for the logging contract.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from wallboard.bench import server
from wallboard.bench.server import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def web_server_command(port: int) -> list[str]:
    """The one place that says how a web process is started (as production starts it)."""
    return server.command("uvicorn", port)


def wait_until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll ``condition`` until it is truthy; the deadline only keeps a broken run finite."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.1)


class Process:
    """One child process with its stderr (and stdout) in ``log_path``."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, no goodbye."""
        self._signal_group(signal.SIGKILL)
        self._reap(10)

    def stop(self) -> None:
        """SIGTERM to the main process (a clean shutdown), then SIGKILL if it does not go."""
        if self.proc is None or not self.running:
            return
        self.proc.terminate()
        if not self._reap(15):
            self.kill()

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def _reap(self, timeout_s: float) -> bool:
        assert self.proc is not None
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_lines(self, *needles: str) -> list[str]:
        """The lines of this process's output containing every one of ``needles``."""
        return [line for line in self.log().splitlines() if all(n in line for n in needles)]


class RedisServer:
    """A private ``redis-server`` (no persistence), so killing it harms no other test run;
    restarting it on the same port brings it back empty."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = Process(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            env,
            workdir,
        )

    def start(self) -> None:
        assert self.process.proc is None or not self.process.running
        self.process.start()
        assert self.process.proc is not None
        wait_for_port(self.port, self.process.proc)


class Cluster:
    """The processes of one test, all pointed at one database and one Redis; killed at the
    end whatever happened."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: list[Process] = []

    def _spawn(self, name: str, argv: Sequence[str]) -> Process:
        process = Process(name, argv, self.env, self.log_dir).start()
        self.processes.append(process)
        return process

    def web(self, name: str) -> WebServer:
        port = free_port()
        process = self._spawn(name, web_server_command(port))
        return WebServer(process, port)

    def _celery(self, name: str, *args: str) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "wallboard", *args, "--loglevel", "INFO"]
        return self._spawn(name, argv)

    def worker(self, name: str) -> Process:
        return self._celery(name, "worker", "--concurrency", "2", "--hostname", f"{name}@%h")

    def beat(self, name: str) -> Process:
        return self._celery(name, "beat", "--schedule", str(self.log_dir / f"{name}-schedule"))

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()

    def logs(self) -> Iterator[tuple[str, str]]:
        # A restarted process appends to its predecessor's log.
        for name, process in {p.name: p for p in self.processes}.items():
            yield name, process.log()


class WebServer:
    def __init__(self, process: Process, port: int) -> None:
        self.process = process
        self.port = port

    def wait_ready(self) -> None:
        assert self.process.proc is not None
        wait_for_port(self.port, self.process.proc, timeout_s=60)
