"""The instruments in multiprocess mode, with real processes sharing one directory: their
figures add up, a forked pool child counts as its own process, and the live gauges of a
process that was killed disappear while its counters stay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tools.processes import ROOT
from wallboard import metrics

COUNT = textwrap.dedent(
    """
    import os, sys, time
    from wallboard import metrics
    metrics.POLLS.labels("1", "daktela", "ok").inc(3)
    metrics.SOCKETS_OPEN.labels("tv").inc(2)
    if sys.argv[1] == "fork":
        child = os.fork()
        if child == 0:  # a pool child: counts under its own identity, leaves by os._exit
            metrics.POLLS.labels("1", "daktela", "ok").inc()
            os._exit(0)
        os.waitpid(child, 0)
    print("counted", flush=True)
    if sys.argv[1] == "stay":
        time.sleep(600)
    """
)
SCRAPE = textwrap.dedent(
    """
    from prometheus_client import CollectorRegistry, generate_latest
    from wallboard import metrics
    registry = CollectorRegistry()
    registry.register(metrics.process_collector())
    print(generate_latest(registry).decode())
    """
)


def _python(script: str, folder: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def _scrape(folder: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out, _ = _python(SCRAPE, folder).communicate(timeout=60)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(out)
        for sample in family.samples
    }


POLLS = ("wallboard_polls_total", (("account", "1"), ("result", "ok"), ("vendor", "daktela")))
TV_SOCKETS = ("wallboard_sockets_open", (("audience", "tv"),))


def test_processes_add_up_and_a_killed_one_keeps_its_counts_but_not_its_sockets(
    tmp_path: Path,
) -> None:
    staying = _python(COUNT, tmp_path, "stay")
    try:
        assert staying.stdout is not None
        assert staying.stdout.readline().strip() == "counted"
        forking = _python(COUNT, tmp_path, "fork")
        assert forking.wait(timeout=60) == 0

        # 3 + 3 + the child's 1; only the process still running has sockets open.
        figures = _scrape(tmp_path)
        assert figures[POLLS] == 7
        assert figures[TV_SOCKETS] == 2

        staying.send_signal(signal.SIGKILL)
        staying.wait(timeout=10)
        figures = _scrape(tmp_path)
        assert figures[POLLS] == 7
        assert figures.get(TV_SOCKETS, 0) == 0
        assert list(tmp_path.glob("*.lock")) == []
    finally:
        staying.kill()
        staying.wait(timeout=10)


@pytest.mark.parametrize(
    ("class_name", "kind"),
    [
        ("ProviderAuthError", "auth"),
        ("ProviderUnavailableError", "unavailable"),
        ("NoReplyError", "no_reply"),
        ("ProviderBadResponseError", "bad_response"),
        ("ProviderNotFoundError", "not_found"),
        ("ProviderError", "other"),
    ],
)
def test_error_kinds_are_short_names(class_name: str, kind: str) -> None:
    assert metrics.error_kind(class_name) == kind


def test_every_instrument_is_named_wallboard() -> None:
    names = [family.name for family in metrics.REGISTRY.collect()]
    assert names
    assert all(name.startswith("wallboard_") for name in names)
