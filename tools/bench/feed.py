"""Vendor feeds and actions (ADR 019): what a fed agent change costs, and how long a
supervisor's click takes to show on another screen.

``measure_feed_cost``: CPU per fed agent change, end to end in this process: the
RTUserState reply parsed (recorded once from the simulator, so its JSON rendering does not
count), then the product's path (``apply_agent_changes`` with the wiring's hook: diff,
rows, status span, ``seq``, push rendered and published to the Redis layer, alerts).

``measure_click_to_wall``: the production shape — the uvicorn web process, one Celery
worker (it runs the refresh an action asks for), the feed supervisor and the poller in
this process (``manage.py watch`` and beat + worker). In headless Chromium a supervisor
opens an agent's panel in the console and clicks Pause (then Unpause); a second page, the
account's board, stamps the moment the agent's tile shows it. Click and stamp are both
``performance.timeOrigin + now()`` in the same browser.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from celery import current_app
from django.conf import settings
from django.db import close_old_connections
from django.db.models import F
from django.urls import reverse

from providers.base import AgentRef
from providers.daktela import parse
from providers.daktela.adapter import DaktelaProvider
from providers.model import Agent as ModelAgent
from providers.model import AgentStatus
from providers.registry import feed_vendors
from providers.sim.engine import SimConfig
from providers.simulators import SIMULATORS
from tools.bench.freshness import CHROMIUM, CHROMIUM_ARGS, Poller
from tools.bench.harness import (
    VENDOR,
    Bench,
    RecordingTransport,
    only_enabled,
    percentile,
    rounded,
    running,
    screens,
    start_bench,
)
from tools.bench.pipeline import SCREEN
from tools.database import database_url
from tools.processes import ROOT, Process, Server, celery_command
from wallboard.live.presence import Watch
from wallboard.monitoring.feeds import apply_agent_changes
from wallboard.monitoring.models import Agent, ProviderAccount, Queue
from wallboard.wiring.pipeline import after_commit, feed_supervisor, poll

WARM_UP = 3  # fed changes before the measured ones

# The moment an action leaves the console: its request, after any confirmation a person
# gives (hx-confirm), so a dialog's round trip through Playwright is not counted.
CLICK_SCRIPT = """
window.__clicks = [];
document.addEventListener("htmx:beforeRequest", function (evt) {
  if (evt.target.closest && evt.target.closest("#action-panel form")) {
    window.__clicks.push(performance.timeOrigin + performance.now());
  }
}, true);
"""

# The board stamps the moment a watched element's value (an agent tile's status, or a
# queue's agent counts) differs from what it showed before the click.
WALL_SCRIPT = """
window.__watch = {}; window.__seen = {};
(function () {
  function value(el) { return el.dataset.status || el.textContent; }
  function check() {
    for (const id in window.__watch) {
      if (id in window.__seen) continue;
      const w = window.__watch[id];
      const el = document.querySelector(w.sel);
      if (el && value(el) !== w.before) {
        window.__seen[id] = performance.timeOrigin + performance.now();
      }
    }
  }
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
})();
"""

#: Each vendor's click, in turn: an action and its undoing (SPIKON cannot pause: its
#: supervisors take an agent out of a campaign and put them back).
CLICKS: dict[str, tuple[str, str]] = {
    "daktela": ("pause", "unpause"),
    "voipsun": ("pause", "unpause"),
    "spikon": ("queue_logout", "queue_login"),
}


def measure_feed_cost(changes: int, agents: int = 100) -> dict[str, Any]:
    config = SimConfig(
        agents=agents, queues=max(1, agents // 10), seed=21,
        calls_per_min_per_queue=0, pause_rate_per_hour=0,
    )  # fmt: skip
    with (
        running(start_bench("feed cost", config)) as bench,
        screens(Watch(bench.account.pk, SCREEN)),
    ):
        only_enabled(bench.account)
        poll(bench.account, provider=bench.provider())
        account = ProviderAccount.objects.get(pk=bench.account.pk)
        transport = RecordingTransport()
        provider = bench.provider(httpx.Client(transport=transport))
        assert isinstance(provider, DaktelaProvider)
        engine_agent = next(iter(bench.engine.agents.values()))
        bench.engine.set_status(engine_agent.id, AgentStatus.IDLE)
        pauses = {p.id: p for p in provider.pause_reasons()}
        provider.user_state(AgentRef(id=engine_agent.id, login=engine_agent.login))
        provider.close()
        body = next(v for k, v in transport.replies.items() if "RTUserState" in k)
        tz = account.config().tz
        base = parse.parse_rt_user_state(body, tz, pauses).agents[0]
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        stored = 0
        for k in range(-WARM_UP, changes):
            if k == 0:  # templates compiled, statements prepared: measure from here
                cpu_started, wall_started, stored = time.process_time(), time.perf_counter(), 0
            reading = parse.parse_rt_user_state(body, tz, pauses).agents[0]
            # Each reading a new status since a new moment (the vendor's body is the same
            # bytes: parsing it costs what parsing a changed one does).
            paused = k % 2 == 0
            reading = dataclasses.replace(
                reading,
                status=AgentStatus.PAUSED if paused else base.status,
                raw_status="Paused" if paused else base.raw_status,
                status_since=(base.status_since or bench.clock.now())
                + timedelta(seconds=10 * (k + WARM_UP + 1)),
            )
            stored += apply_agent_changes(account.pk, [reading], on_commit=after_commit)
        cpu_ms = (time.process_time() - cpu_started) * 1000
        wall_ms = (time.perf_counter() - wall_started) * 1000
        burst_cpu_ms = _burst_cost(account.pk, bench, changes)
        elsewhere_cpu_ms = _cost_after_polls_elsewhere(account.pk, bench, changes)
    return {
        "changes": changes,
        "stored": stored,
        # The same changes ten agents at a time (what one feed batch holds when they come
        # together): the transaction, seq and push are shared.
        "cpu_ms_per_change_in_batches_of_10": rounded(burst_cpu_ms),
        # Each change after a poll in another process (a worker's, in production) moved
        # the seq: this process no longer holds the stored state.
        "cpu_ms_per_change_after_a_poll_elsewhere": rounded(elsewhere_cpu_ms),
        "board_agents": agents,
        "cpu_ms_per_change": rounded(cpu_ms / changes),
        "wall_ms_per_change": rounded(wall_ms / changes),
    }


def _burst_cost(account_pk: int, bench: Bench, changes: int) -> float:
    """CPU per change when ten agents' changes come in one batch."""
    agents = list(ProviderAccount.objects.get(pk=account_pk).agents.order_by("pk")[:10])
    readings = {
        a.vendor_id: ModelAgent(
            id=a.vendor_id,
            login=a.login,
            name=a.name,
            status=AgentStatus(a.status),
            raw_status=a.raw_status,
            extension=a.extension or None,
        )
        for a in agents
    }
    batches = max(1, changes // len(readings))
    started, stored = time.process_time(), 0
    for k in range(batches):
        paused = k % 2 == 0
        batch = [
            dataclasses.replace(
                r,
                status=AgentStatus.PAUSED if paused else AgentStatus.IDLE,
                raw_status="Paused" if paused else "Idle",
                status_since=bench.clock.now() + timedelta(seconds=10 * (changes + k + 1)),
            )
            for r in readings.values()
        ]
        stored += apply_agent_changes(account_pk, batch, on_commit=after_commit)
    return (time.process_time() - started) * 1000 / max(stored, 1)


def _cost_after_polls_elsewhere(account_pk: int, bench: Bench, changes: int) -> float:
    """CPU per change when another process wrote last (its cost, the seq moved, not counted)."""
    row = ProviderAccount.objects.get(pk=account_pk).agents.order_by("pk")[0]
    held = ModelAgent(
        id=row.vendor_id, login=row.login, name=row.name, status=AgentStatus(row.status),
        raw_status=row.raw_status, extension=row.extension or None,
    )  # fmt: skip
    cpu = 0.0
    for k in range(changes):
        ProviderAccount.objects.filter(pk=account_pk).update(seq=F("seq") + 1)
        paused = k % 2 == 0
        reading = dataclasses.replace(
            held,
            status=AgentStatus.PAUSED if paused else AgentStatus.IDLE,
            raw_status="Paused" if paused else "Idle",
            status_since=bench.clock.now() + timedelta(seconds=10 * (3 * changes + k + 1)),
        )
        started = time.process_time()
        apply_agent_changes(account_pk, [reading], on_commit=after_commit)
        cpu += time.process_time() - started
    return cpu * 1000 / changes


@contextmanager
def celery_worker() -> Iterator[Process | None]:
    """One Celery worker on this run's database and broker (it runs the refresh tasks);
    None where the broker lives in memory (the test settings: no other process reaches it)."""
    if str(current_app.conf.broker_url).startswith("memory"):
        yield None
        return
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL or "",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
    }
    name = f"bench-{os.getpid()}@%h"
    argv = celery_command(
        "worker", "--concurrency", "1", "--pool", "threads", "--hostname", name,
        "--without-heartbeat", "--without-mingle", "--without-gossip", loglevel="WARNING",
    )  # fmt: skip
    worker = Process("celery worker", argv, env).start()
    try:
        deadline = time.monotonic() + 60
        while not current_app.control.ping(timeout=0.5):
            if time.monotonic() > deadline or not worker.running:
                raise RuntimeError("the Celery worker did not answer")
        yield worker
    finally:
        worker.stop(10)


def measure_click_to_wall(
    server: Server, session_key: str, rounds: int, *, feed: bool = True, vendor: str = VENDOR
) -> dict[str, Any]:
    """Without ``feed`` (``instant_agents`` off, or a vendor without a feed) only the
    refresh and the poll show it."""
    if not Path(CHROMIUM).exists():
        return {"skipped": f"{CHROMIUM} is missing"}
    from playwright.sync_api import sync_playwright

    feed = feed and vendor in feed_vendors()
    config = SimConfig(
        agents=20, queues=2, seed=23, calls_per_min_per_queue=0, pause_rate_per_hour=0
    )
    samples: list[float] = []
    missed = 0
    with running(start_bench("click to wall", config, manual_clock=False, vendor=vendor)) as bench:
        only_enabled(bench.account)
        if not feed and vendor in feed_vendors():
            options = {**bench.account.options, "instant_agents": "no"}
            ProviderAccount.objects.filter(pk=bench.account.pk).update(options=options)
            bench.account.refresh_from_db()
        poll(bench.account)
        agent, queue = _clicked(bench)
        close_old_connections()
        poller = Poller()
        polling = threading.Thread(target=poller.run, name="bench-poller", daemon=True)
        feeds = feed_supervisor(tick_s=0.5) if feed else None
        board = f"{server.url}{reverse('board')}?account={bench.account.pk}"
        with celery_worker() as worker, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1600, "height": 900})
            context.add_cookies([{"name": "sessionid", "value": session_key, "url": server.url}])
            wall = context.new_page()
            wall.add_init_script(WALL_SCRIPT)
            wall.goto(board)
            wall.wait_for_selector("#connection[data-state=open]", timeout=20_000)
            console = context.new_page()
            console.on("dialog", lambda dialog: dialog.accept())
            console.add_init_script(CLICK_SCRIPT)
            console.goto(f"{server.url}{reverse('console')}?account={bench.account.pk}")
            console.wait_for_selector("#connection[data-state=open]", timeout=20_000)
            polling.start()
            if feeds is not None:
                feeds.start()
                wall.wait_for_selector(".input[data-input=feed]", timeout=30_000)
            # What the wall shows of the click: the agent's tile, or the campaign's counts.
            watched = f"#agent-{agent.pk}" if queue is None else f"#queue-{queue.pk}-counts"
            for k in range(rounds * 2):
                # The panel as it is now (SPIKON's lists the campaigns the agent is in).
                console.click(f"#agent-{agent.pk}")
                console.wait_for_selector(f"#panel-agent-{agent.pk}")
                before = wall.eval_on_selector(watched, "el => el.dataset.status || el.textContent")
                watch = {"sel": watched, "before": before}
                wall.evaluate("([id, w]) => { window.__watch[id] = w; }", [k, watch])
                action = CLICKS[vendor][k % 2]
                if action == "queue_login" and queue is not None:
                    console.select_option(f"{_form(action)} select[name=queue]", str(queue.pk))
                console.click(_button(action, queue))
                try:
                    wall.wait_for_function(f"() => '{k}' in window.__seen", timeout=10_000)
                except Exception:  # a miss is counted, the run goes on
                    missed += 1
                    continue
                clicked = console.evaluate("window.__clicks")[-1]
                samples.append(wall.evaluate(f"window.__seen['{k}']") - clicked)
                console.wait_for_timeout(300)  # the feedback swaps in; the next click is fresh
            context.close()
            browser.close()
        if feeds is not None:
            feeds.stop()
        poller.stop.set()
        polling.join(timeout=10)
    return {
        "clicks": rounds * 2,
        "observed": len(samples),
        "missed": missed,
        "vendor": vendor,
        "actions": " / ".join(CLICKS[vendor]),
        "inputs": ("feed + " if feed else "")
        + ("refresh poll (Celery) + " if worker is not None else "")
        + "2 s poll",
        "p50_ms": rounded(percentile(samples, 50)),
        "p90_ms": rounded(percentile(samples, 90)),
        "max_ms": rounded(max(samples) if samples else None),
    }


def _clicked(bench: Bench) -> tuple[Agent, Queue | None]:
    """A ready agent to click on, and (where the click is a campaign's) a queue it is in."""
    spec = SIMULATORS[bench.account.vendor]
    with bench.engine.locked():
        ready = [a for a in bench.engine.agents.values() if a.status is AgentStatus.IDLE]
    rows = Agent.objects.filter(account=bench.account)
    agent = next(a for a in (rows.filter(vendor_id=spec.agent_id(e)).first() for e in ready) if a)
    if CLICKS[bench.account.vendor][0] != "queue_logout":
        return agent, None
    membership = agent.memberships.select_related("queue").order_by("queue__name").first()
    assert membership is not None, f"agent {agent} is in no queue"
    return agent, membership.queue


def _form(action: str) -> str:
    return f"#action-panel form[hx-post$='/{action}/']"


def _button(action: str, queue: Queue | None) -> str:
    """The submit button of ``action``'s form in the panel (for a queue, that queue's)."""
    form = _form(action)
    if action == "queue_logout" and queue is not None:
        form += f":has(input[name=queue][value='{queue.pk}'])"
    return f"{form} button[type=submit]"
