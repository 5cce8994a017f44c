"""What every benchmark needs: a vendor's simulator (Daktela's unless a benchmark names
another) with an account on it, replayable provider replies, a record of what was pushed,
and percentiles."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from providers.base import Provider
from providers.registry import provider_class, split_settings
from providers.sim.engine import CallCenter, Clock, ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from providers.simulators import SIMULATORS, start_simulator
from wallboard.dashboards.selection import BoardView
from wallboard.dashboards.updates import Update, render_sections
from wallboard.live import presence
from wallboard.live.presence import Watch
from wallboard.monitoring.hooks import Committed
from wallboard.monitoring.models import ProviderAccount
from wallboard.wiring.pipeline import after_commit

VENDOR = "daktela"
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@dataclass
class Bench:
    """One simulated call center served over HTTP, and the account that polls it."""

    server: SimulatorServer
    engine: CallCenter
    clock: Clock
    account: ProviderAccount

    def provider(self, client: httpx.Client | None = None) -> Provider:
        """The adapter as ``poll_once`` builds it, but reading the simulator's clock."""
        vendor = provider_class(self.account.vendor)
        return vendor(self.account.config(), client=client, clock=self.clock.now)

    def stop(self) -> None:
        self.server.stop()


def only_enabled(account: ProviderAccount) -> None:
    """Boards show every enabled account: leave only this one, so boards stay the size
    each benchmark means."""
    ProviderAccount.objects.exclude(pk=account.pk).update(enabled=False)
    ProviderAccount.objects.filter(pk=account.pk).update(enabled=True)


def add_account(
    server: SimulatorServer, engine: CallCenter, name: str, vendor: str = VENDOR
) -> ProviderAccount:
    options, secrets = split_settings(vendor, SIMULATORS[vendor].account_settings(engine))
    return ProviderAccount.objects.create(
        name=name,
        vendor=vendor,
        base_url=server.url,
        options=options,
        secrets=secrets,
        time_zone=engine.config.time_zone,
        poll_interval_s=2,
    )


def start_bench(
    name: str, config: SimConfig, *, manual_clock: bool = True, vendor: str = VENDOR
) -> Bench:
    clock: Clock | None = ManualClock(START) if manual_clock else None
    server, engine = start_simulator(vendor, config, clock=clock)
    account = add_account(server, engine, name, vendor)
    return Bench(server, engine, engine.clock, account)


@contextmanager
def screens(*watches: Watch) -> Iterator[None]:
    """Screens that say they watch (``presence``) as a browser's socket does, from an event
    loop of their own that renews the record as a web process does: changes are rendered
    for them (ADR 031). Nothing receives the messages; the publish is measured whole."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bench-screens", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(presence.watch(watches), loop).result(10)
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(presence.unwatch(watches), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextmanager
def running(bench: Bench) -> Iterator[Bench]:
    try:
        yield bench
    finally:
        bench.stop()


# -- provider replies -----------------------------------------------------------------------


class RecordingTransport(httpx.BaseTransport):
    """Real HTTP to the simulator; keeps each reply body by path, and when the last arrived."""

    def __init__(self) -> None:
        self._http = httpx.HTTPTransport()
        self.replies: dict[str, bytes] = {}
        self.last_reply_at = 0.0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._http.handle_request(request)
        body = response.read()
        self.last_reply_at = time.time()
        self.replies[request.url.path] = body
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def close(self) -> None:
        self._http.close()


class ReplayTransport(httpx.BaseTransport):
    """Answers each request with the recorded reply for its path: the poll then costs only
    our own CPU (the simulator's JSON rendering runs in this process too and must not count)."""

    def __init__(self, replies: dict[str, bytes]) -> None:
        self.replies = replies

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = self.replies[request.url.path]
        return httpx.Response(200, headers={"Content-Type": "application/json"}, content=body)


def record_replies(bench: Bench) -> dict[str, bytes]:
    transport = RecordingTransport()
    with httpx.Client(transport=transport) as client:
        bench.provider(client).fetch_snapshot()
    return transport.replies


# -- pushes ---------------------------------------------------------------------------------


@dataclass
class Pushes:
    """A commit hook that records the message each stored change sends the account's
    screens (rendered as ``publish_account`` renders it), and with ``deliver`` also does
    what the product does after a commit."""

    deliver: bool = True
    messages: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: Committed) -> None:
        if self.deliver:
            after_commit(event)
        if not event.changed:
            return
        account = ProviderAccount.objects.get(pk=event.account_pk)
        html, _tiles = Update.load(account, event.seq, event.changes, event.status_changed).render()
        with self.lock:
            self.messages.append(html)

    def html(self) -> list[str]:
        with self.lock:
            return list(self.messages)


# -- statistics -----------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (p99 of 100 samples is the 99th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


Timer = Callable[[], float]


def full_board_html(account: ProviderAccount) -> str:
    """The whole board of one account, as a browser receives it on connect or resync."""
    return render_sections(BoardView(accounts=[account]))
