"""Provider faults end to end: simulator over real HTTP → poll_once → PostgreSQL → board.

Each fault makes the board say "stale" (or name the one stale part) at the first failed
poll, loses or changes nothing stored, logs one line when it starts and one when it ends,
and the next poll after the fault recovers by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from providers.sim.server import Faults
from tests.wallboard.reliability.conftest import TIMEOUT_S, VENDORS, Watched, stored
from wallboard.monitoring.models import Queue
from wallboard.monitoring.scheduler import claim_due_accounts

# Each poll's transaction nests in the test's, which is rolled back (no table flush per
# test); what a poll publishes on commit is not under test here.
pytestmark = [pytest.mark.services, pytest.mark.django_db]

HTML_PAGE = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
TRUNCATED_JSON = b'{"status":1,"result":{"1":{"id":"1","title":"Supp'
MALFORMED_XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<response><result><item><id>1</i'
# A well-formed reply in each vendor's envelope that carries the vendor's own failure.
VENDOR_ERRORS = {
    "spikon": b'{"errors":{"error":{"id":"-1000","text":"General failure"}}}',
    "voipsun": b'{"success":"false","errno":"300","reason":"Use only one of next variables"}',
    "daktela": b'{"error":"Internal server error","status":0,"result":null}',
}


@dataclass(frozen=True)
class Fault:
    """What to break on the simulator (``stop`` closes its port: connection refused)."""

    name: str
    set_up: Callable[[Faults, str], None]
    vendors: tuple[str, ...] = VENDORS
    options: tuple[tuple[str, str], ...] = ()
    stop: bool = False


def _set(**values: object) -> Callable[[Faults, str], None]:
    def set_up(faults: Faults, vendor: str) -> None:
        for name, value in values.items():
            setattr(faults, name, value)

    return set_up


def _vendor_error(faults: Faults, vendor: str) -> None:
    faults.body = VENDOR_ERRORS[vendor]


WHOLE_FAULTS = [
    Fault("connection-refused", _set(), stop=True),
    Fault("closed-without-reply", _set(refuse=True)),
    Fault("hangs-past-the-timeout", _set(delay_s=TIMEOUT_S * 1.5)),
    Fault("http-500", _set(status=500)),
    Fault("html-page-200", _set(status=200, body=HTML_PAGE)),
    Fault("html-page-502", _set(status=502, body=HTML_PAGE)),
    Fault("truncated-json", _set(body=TRUNCATED_JSON)),
    Fault("vendor-error", _vendor_error),
    Fault(
        "malformed-xml",
        _set(body=MALFORMED_XML),
        vendors=("spikon", "daktela"),
        options=(("format", "xml"),),
    ),
]
CASES = [
    pytest.param(fault, vendor, id=f"{fault.name}-{vendor}")
    for fault in WHOLE_FAULTS
    for vendor in fault.vendors
]


def _poll_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "wallboard.poll"]


@pytest.mark.parametrize(("fault", "vendor"), CASES)
def test_a_failing_provider_shows_stale_keeps_everything_and_recovers(
    watch: Callable[..., Watched],
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
    vendor: str,
) -> None:
    watched = watch(vendor, **dict(fault.options))
    server = watched.sim.server
    before = stored(watched.account)
    good = watched.fresh().last_success_at
    caplog.set_level(logging.INFO, logger="wallboard.poll")

    fault.set_up(server.faults, vendor)
    if fault.stop:
        server.stop()
    failed = watched.poll()
    assert not failed.ok
    account = watched.fresh()
    assert account.stale
    assert account.last_success_at == good
    banner = watched.board()
    assert "Stale since" in banner, banner
    assert not watched.poll().ok, "still failing: stale, and no second log line"
    assert stored(watched.account) == before
    assert len(_poll_lines(caplog)) == 1, _poll_lines(caplog)
    assert "polling failed" in _poll_lines(caplog)[0]

    server.faults.clear()
    if fault.stop:
        server.start()
    recovered = watched.poll()
    assert recovered.ok, recovered.error
    account = watched.fresh()
    assert (account.stale, account.stale_parts, account.last_error) == (False, [], "")
    assert "Stale" not in watched.board()
    assert stored(watched.account) == before
    lines = _poll_lines(caplog)
    assert len(lines) == 2, lines
    assert "recovered" in lines[1]
    assert watched.poll().ok
    assert len(_poll_lines(caplog)) == 2


# The request of each vendor's snapshot whose failure costs one part only, and that part.
ONE_ENDPOINT = {
    "spikon": ("cc_agent/list", "agents"),
    "voipsun": ("action=listcalls", "calls"),
    "daktela": ("RTStatsCalls", "calls"),
}
PART_ROWS = {"agents": ("Agent", "Membership"), "calls": ("ActiveCall",)}


@pytest.mark.parametrize("vendor", VENDORS)
def test_one_failing_endpoint_makes_only_its_part_stale(
    watch: Callable[..., Watched], vendor: str
) -> None:
    watched = watch(vendor)
    engine = watched.sim.engine
    path, part = ONE_ENDPOINT[vendor]
    before = stored(watched.account)

    watched.sim.server.faults.status = 500
    watched.sim.server.faults.paths = (path,)
    engine.add_waiting_call(next(iter(engine.queues)), "226211245")
    for _ in range(2):
        result = watched.poll()
        assert result.ok, result.error
    account = watched.fresh()
    assert not account.stale
    assert account.stale_parts == [part]
    assert "500" in account.last_error
    banner = watched.board()
    assert "Partly stale" in banner, banner
    assert part in banner
    waiting = sum(q.calls_waiting or 0 for q in Queue.objects.filter(account=watched.account))
    assert waiting == len(engine.truth().waiting_calls), "the other parts still update"
    after = stored(watched.account)
    for rows in PART_ROWS[part]:
        assert after[rows] == before[rows], f"{rows} of the failed part are kept"

    watched.sim.server.faults.clear()
    assert watched.poll().ok
    account = watched.fresh()
    assert (account.stale_parts, account.last_error) == ([], "")
    assert "stale" not in watched.board().lower().replace('data-stale="0"', "")


@pytest.mark.parametrize("vendor", VENDORS)
def test_one_failing_endpoint_logs_once_when_it_fails_and_once_when_it_is_back(
    watch: Callable[..., Watched], caplog: pytest.LogCaptureFixture, vendor: str
) -> None:
    watched = watch(vendor)
    caplog.set_level(logging.INFO, logger="wallboard.poll")
    watched.sim.server.faults.status = 500
    watched.sim.server.faults.paths = (ONE_ENDPOINT[vendor][0],)
    for _ in range(3):
        assert watched.poll().ok
    assert len(_poll_lines(caplog)) == 1, _poll_lines(caplog)
    watched.sim.server.faults.clear()
    for _ in range(2):
        assert watched.poll().ok
    assert len(_poll_lines(caplog)) == 2, _poll_lines(caplog)


@pytest.mark.parametrize("vendor", VENDORS)
def test_429_retry_after_is_honoured(watch: Callable[..., Watched], vendor: str) -> None:
    watched = watch(vendor)
    server = watched.sim.server
    server.faults.status = 429
    server.faults.retry_after = 120
    sent = server.total_requests
    result = watched.poll()
    assert not result.ok
    assert server.total_requests == sent + 1, "nothing more is sent once told to slow down"
    account = watched.fresh()
    assert account.stale
    assert account.last_attempt_at is not None
    assert account.next_poll_at >= account.last_attempt_at + timedelta(seconds=120)
    assert claim_due_accounts(account.last_attempt_at + timedelta(seconds=119)) == []
    due = claim_due_accounts(account.last_attempt_at + timedelta(seconds=121))
    assert [a.pk for a in due] == [account.pk]

    server.faults.clear()
    assert watched.poll().ok
    assert not watched.fresh().stale


@pytest.mark.parametrize(
    "failed_polls",
    [
        1,
        3,
    ],
)
@pytest.mark.parametrize("vendor", VENDORS)
def test_the_poll_after_a_fault_ends_is_due_within_two_intervals(
    watch: Callable[..., Watched], vendor: str, failed_polls: int
) -> None:
    watched = watch(vendor)
    watched.sim.server.faults.status = 503
    for _ in range(failed_polls):
        assert not watched.poll().ok
    watched.sim.server.faults.clear()
    account = watched.fresh()
    assert account.last_attempt_at is not None
    fault_ended = account.last_attempt_at
    due = claim_due_accounts(fault_ended + timedelta(seconds=2 * account.poll_interval_s))
    assert [a.pk for a in due] == [account.pk]
    assert watched.poll().ok
    assert not watched.fresh().stale
