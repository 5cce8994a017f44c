"""One SPIKON simulator serving many accounts, recording every request by account.

Account ``n`` uses the base URL ``<server>/a<n>``; the recorder strips that prefix, lets each
request take ``delay_s`` (so polls are long enough to be caught in the middle), and keeps
when each request started and ended (wall clock, comparable with the database's times).
A SPIKON poll reads the campaign list first and then each campaign in turn, one request at
a time, so two requests of one account that overlap are two polls at once.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, replace

from providers.sim.engine import CallCenter, Clock, SimConfig
from providers.sim.server import SimRequest, SimResponse, SimulatorServer
from providers.spikon.simulator import SpikonSimulator

POLL_START_PATH = "/api/cc_campaigns/list"


@dataclass(frozen=True)
class Request:
    account: str
    path: str
    started: float
    ended: float


class RecordingSimulator:
    def __init__(self, config: SimConfig, delay_s: float = 0.0, clock: Clock | None = None):
        self.engine = CallCenter(config, clock)
        self.app = SpikonSimulator(self.engine)
        self.delay_s = delay_s
        self.requests: list[Request] = []
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        self.server = SimulatorServer(self._serve)

    def start(self) -> RecordingSimulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def base_url(self, account: str) -> str:
        return f"{self.server.url}/{account}"

    def _serve(self, request: SimRequest) -> SimResponse:
        account, _, rest = request.path.lstrip("/").partition("/")
        started = time.time()
        with self._lock:
            self._in_flight[account] = self._in_flight.get(account, 0) + 1
        try:
            time.sleep(self.delay_s)
            return self.app(replace(request, path=f"/{rest}"))
        finally:
            with self._lock:
                self._in_flight[account] -= 1
                self.requests.append(Request(account, f"/{rest}", started, time.time()))

    def in_flight(self, account: str) -> int:
        with self._lock:
            return self._in_flight.get(account, 0)

    def log(self, account: str | None = None) -> list[Request]:
        with self._lock:
            return sorted(
                (r for r in self.requests if account is None or r.account == account),
                key=lambda r: r.started,
            )

    def poll_starts(self, account: str, since: float = 0.0) -> list[float]:
        """When each poll of ``account`` began (its first request)."""
        return [
            r.started for r in self.log(account) if r.path == POLL_START_PATH and r.started >= since
        ]

    def poll_gaps(self, account: str, since: float = 0.0) -> list[float]:
        """Seconds between one poll of ``account`` starting and the next."""
        starts = self.poll_starts(account, since)
        return [later - earlier for earlier, later in itertools.pairwise(starts)]


def overlapping(requests: list[Request]) -> list[tuple[Request, Request]]:
    """Pairs of requests that were in progress at the same moment (sorted by start)."""
    pairs = []
    latest: Request | None = None
    for request in requests:
        if latest is not None and request.started < latest.ended:
            pairs.append((latest, request))
        if latest is None or request.ended > latest.ended:
            latest = request
    return pairs


def assert_one_poll_at_a_time(
    sim: RecordingSimulator, account: str, interval_s: float, since: float = 0.0
) -> None:
    """No two polls of one account at once, and no two starting within half an interval: a
    second scheduler or a backlog of queued polls would show as polls back to back."""
    assert overlapping(sim.log(account)) == []
    gaps = sim.poll_gaps(account, since)
    assert gaps
    assert min(gaps) > interval_s / 2, (account, gaps)
