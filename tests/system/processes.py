"""The system tests' processes: web servers, Celery workers and beat, a private Redis, all
started by the tools' process harness (``tools.processes``), as production starts them, each
writing its output to a log file the test reads for the logging contract."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from tools.processes import ROOT, Process, celery_command, free_port, web_command

__all__ = ["ROOT", "Cluster", "Process", "RedisServer", "WebServer", "wait_until"]


def wait_until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll ``condition`` until it is truthy; the deadline only keeps a broken run finite."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.1)


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
            workdir / "redis.log",
        )

    def start(self) -> None:
        assert self.process.proc is None or not self.process.running
        self.process.start().wait_for_port(self.port)


class Cluster:
    """The processes of one test, all pointed at one database and one Redis; killed at the
    end whatever happened."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: list[Process] = []

    def _spawn(self, name: str, argv: Sequence[str]) -> Process:
        process = Process(name, argv, self.env, self.log_dir / f"{name}.log").start()
        self.processes.append(process)
        return process

    def web(self, name: str) -> WebServer:
        port = free_port()
        process = self._spawn(name, web_command("uvicorn", port))
        return WebServer(process, port)

    def _celery(self, name: str, *args: str) -> Process:
        return self._spawn(name, celery_command(*args))

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
        self.process.wait_for_port(self.port, timeout_s=60)
