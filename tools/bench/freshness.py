"""Freshness: a state change in the simulator → the changed element in a real headless
Chromium, and our own share of it (the poll's last provider reply received → DOM updated).

The simulator runs on the real clock; the poll loop is the embedded scheduler's (claim the
due account every 0.2 s, poll it), in a thread, with the adapter's HTTP client timed. The
browser signs in with a session cookie, opens the board of the account, and a
``MutationObserver`` stamps the moment each watched tile shows its new status
(``performance.timeOrigin + now()``, the same wall clock as ``time.time()`` here).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.db import close_old_connections
from django.urls import reverse

from providers.base import Provider
from providers.model import AgentStatus
from providers.registry import provider_class
from providers.sim.engine import SimConfig
from tools.bench.harness import (
    RecordingTransport,
    mean,
    only_enabled,
    percentile,
    rounded,
    running,
    start_bench,
)
from tools.processes import Server
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.monitoring.scheduler import claim_due_accounts
from wallboard.wiring.pipeline import feed_supervisor, poll

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TICK_S = 0.2  # the embedded scheduler's tick

WATCH_SCRIPT = """
window.__watch = {}; window.__seen = {};
(function () {
  function check() {
    for (const id in window.__watch) {
      if (id in window.__seen) continue;
      const w = window.__watch[id];
      const el = document.getElementById("agent-" + w.pk);
      if (!el) continue;
      const status = el.dataset.status;
      if (w.eq ? status === w.status : status !== w.status) {
        window.__seen[id] = performance.timeOrigin + performance.now();
      }
    }
  }
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"],
  });
})();
"""


@dataclass
class Change:
    agent_id: str
    made_at: float
    expect: str  # the stored status that shows the change arrived
    equal: bool
    reply_at: float | None = None
    stored_at: float | None = None  # poll returned: stored, committed and published


@dataclass
class Poller:
    """The scheduler's claim-and-poll loop, noting when each poll's last reply arrived.
    Each account keeps one adapter across its polls, as ``polling_provider`` keeps it for
    the workers: its connections, its configuration read once a minute, its parse reuse."""

    changes: dict[int, Change] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    polls: int = 0
    adapters: dict[int, tuple[RecordingTransport, Provider]] = field(default_factory=dict)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                for account in claim_due_accounts():
                    self._poll(account)
                self.stop.wait(TICK_S)
        finally:
            for _, provider in self.adapters.values():
                provider.close()
            close_old_connections()

    def _adapter(self, account: ProviderAccount) -> tuple[RecordingTransport, Provider]:
        if account.pk not in self.adapters:
            transport = RecordingTransport()
            client = httpx.Client(transport=transport)
            provider = provider_class(account.vendor)(account.config(), client=client)
            self.adapters[account.pk] = transport, provider
        return self.adapters[account.pk]

    def _poll(self, account: ProviderAccount) -> None:
        transport, provider = self._adapter(account)
        poll(account, provider=provider)
        done_at = time.time()
        self.polls += 1
        with self.lock:
            waiting = {k: c for k, c in self.changes.items() if c.reply_at is None}
        if not waiting:
            return
        stored = dict(
            Agent.objects.filter(
                account=account, vendor_id__in={c.agent_id for c in waiting.values()}
            ).values_list("vendor_id", "status")
        )
        with self.lock:
            for change in waiting.values():
                status = stored.get(change.agent_id)
                if (status == change.expect) == change.equal:
                    change.reply_at = transport.last_reply_at
                    change.stored_at = done_at


def measure_freshness(
    server: Server,
    session_key: str,
    seconds: float,
    agents: int = 100,
    seed: int = 11,
    *,
    feed: bool = False,
) -> dict[str, Any]:
    """With ``feed``, the account's vendor feed runs beside the poll (ADR 019), as
    ``manage.py watch`` runs it: the same changes, the same board, the poll still every 2 s."""
    if not Path(CHROMIUM).exists():
        return {"skipped": f"{CHROMIUM} is missing"}
    from playwright.sync_api import sync_playwright

    config = SimConfig(
        agents=agents, queues=max(1, agents // 10), seed=seed,
        calls_per_min_per_queue=0.5, pause_rate_per_hour=0,
    )  # fmt: skip
    rng = random.Random(seed)
    with running(start_bench("freshness", config, manual_clock=False)) as bench:
        only_enabled(bench.account)
        poll(bench.account)
        pks = dict(Agent.objects.filter(account=bench.account).values_list("vendor_id", "pk"))
        path = f"{reverse('board')}?account={bench.account.pk}"
        close_old_connections()
        poller = Poller()
        thread = threading.Thread(target=poller.run, name="bench-poller", daemon=True)
        seen: dict[str, float] = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            context.add_cookies([{"name": "sessionid", "value": session_key, "url": server.url}])
            context.add_init_script(WATCH_SCRIPT)
            page = context.new_page()
            page.goto(server.url + path)
            page.wait_for_selector("#connection[data-state=open]", timeout=20_000)
            thread.start()
            feeds = feed_supervisor(tick_s=0.5).start() if feed else None
            if feeds is not None:
                page.wait_for_selector(".input[data-input=feed]", timeout=30_000)
            in_flight: dict[str, int] = {}
            deadline = time.time() + seconds
            next_id = 0
            while time.time() < deadline:
                seen = page.evaluate("window.__seen")
                for agent_id, change_id in list(in_flight.items()):
                    if str(change_id) in seen:
                        del in_flight[agent_id]
                engine = bench.engine
                with engine.locked():
                    idle = [
                        a.id
                        for a in engine.agents.values()
                        if a.status is AgentStatus.IDLE and a.id not in in_flight
                    ]
                    paused = [a.id for a in engine.agents.values()
                              if a.status is AgentStatus.PAUSED and a.id not in in_flight
                              and not a.auto_pause]  # fmt: skip
                pausing = bool(idle) and (not paused or rng.random() < 0.5)
                pool = idle if pausing else paused
                if pool:
                    agent_id = rng.choice(pool)
                    change = Change(agent_id, 0.0, "PAUSED", equal=pausing)
                    watch = {"pk": pks[agent_id], "status": "PAUSED", "eq": pausing}
                    page.evaluate("([id, w]) => { window.__watch[id] = w; }", [next_id, watch])
                    change.made_at = time.time()
                    if pausing:
                        engine.set_status(agent_id, AgentStatus.PAUSED, pause_id="7")
                    else:
                        engine.set_status(agent_id, AgentStatus.IDLE)
                    with poller.lock:
                        poller.changes[next_id] = change
                    in_flight[agent_id] = next_id
                    next_id += 1
                page.wait_for_timeout(rng.uniform(250, 750))
            page.wait_for_timeout(5_000)  # let the last changes arrive
            seen = page.evaluate("window.__seen")
            context.close()
            browser.close()
        if feeds is not None:
            feeds.stop()
        poller.stop.set()
        thread.join(timeout=10)
    total, own, pipeline, delivery = [], [], [], []
    for change_id, change in poller.changes.items():
        shown = seen.get(str(change_id))
        if shown is None:
            continue
        total.append(shown - change.made_at * 1000)  # the browser stamps in ms
        if change.reply_at is not None:
            own.append(shown - change.reply_at * 1000)
        if change.reply_at is not None and change.stored_at is not None:
            pipeline.append((change.stored_at - change.reply_at) * 1000)
            delivery.append(shown - change.stored_at * 1000)
    if feed:  # a change the feed stored first is no poll's reply: no own share to tell
        own = pipeline = delivery = []
    return {
        "changes": len(poller.changes),
        "observed": len(total),
        "missed": len(poller.changes) - len(total),
        "polls": poller.polls,
        "poll_interval_s": 2,
        "p50_ms": rounded(percentile(total, 50)),
        "p99_ms": rounded(percentile(total, 99)),
        "max_ms": rounded(max(total) if total else None),
        "own_share_p50_ms": rounded(percentile(own, 50)),
        "own_share_p99_ms": rounded(percentile(own, 99)),
        "own_share_mean_ms": rounded(mean(own)),
        # own share = our pipeline (reply → stored and published) + delivery (→ DOM)
        "own_pipeline_p50_ms": rounded(percentile(pipeline, 50)),
        "own_pipeline_p99_ms": rounded(percentile(pipeline, 99)),
        "own_delivery_p50_ms": rounded(percentile(delivery, 50)),
        "own_delivery_p99_ms": rounded(percentile(delivery, 99)),
        "board_agents": agents,
        "input": "feed" if feed else "poll",
    }
