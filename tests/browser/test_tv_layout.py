"""The TV fits the screen it is on (issue 11 §1, ADR 015): for each screen size and for a
centre like the demo's and one that must rotate, in a real Chromium against a real uvicorn —
no scrolling, no text clipped or outside its tile, figures legible from 5 m, every agent on
screen within one rotation, and no tile moving when the server pushes a change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from providers.model import AgentStatus
from tests.browser.conftest import StartServer
from tests.conftest import Sim
from tests.conftest import make_account as make_sim_account
from wallboard.dashboards.models import Board, TvLink
from wallboard.monitoring.models import Agent, ProviderAccount, Queue
from wallboard.wiring.pipeline import embedded_scheduler, poll

pytestmark = [pytest.mark.browser, pytest.mark.services]


def _js(name: str) -> str:
    """A function evaluated in the page, from tests/browser/js/."""
    return (Path(__file__).parent / "js" / name).read_text()


SIZES = [(1366, 768), (1920, 1080), (2560, 1440), (3840, 2160), (1080, 1920)]
FIGURE_SHARE = 0.04  # queue headline figures: at least 4 % of the screen height
AGENT_SHARE = 0.016  # agent name and state: at least 1.6 %

# What a board's rotate_s will render one day: the attribute on the board element.
ROTATE = """
new MutationObserver((_, observer) => {
  const board = document.getElementById("board");
  if (board) { board.dataset.rotateS = "%s"; observer.disconnect(); }
}).observe(document, { childList: true, subtree: true });
"""

# The WebSocket messages the page has handled.
COUNT_MESSAGES = """
window.__messages = 0;
document.addEventListener("htmx:wsAfterMessage", () => { window.__messages += 1; });
"""

# Everything wrong with what the screen shows now, and what it shows.
CHECK = _js("screen_check.js")

PAGE = _js("page_number.js")

# CHECK on the page on screen now and then on each page as it turns in, into
# window.__rotation until one rotation is in. A MutationObserver's callback runs as soon as
# the turn that changed the page indicator is done, before the next turn can start: no page
# is missed however fast the pages turn, or however slowly this process gets to ask.
WATCH = f"""() => {{
  const check = {CHECK}, number = {PAGE};
  const seen = [check()];
  const pages = Number(seen[0].page.split(" / ")[1]);
  let last = seen[0].page;
  const observer = new MutationObserver(() => {{
    if (number() === last) return;
    last = number();
    seen.push(check());
    if (seen.length >= pages) observer.disconnect();
  }});
  if (pages > 1) {{
    const indicator = document.getElementById("page-indicator");
    observer.observe(indicator, {{ childList: true, characterData: true, subtree: true }});
  }}
  window.__rotation = seen;
  return seen[0];
}}"""


@dataclass
class Centre:
    sims: list[Sim]
    accounts: list[ProviderAccount]
    link: TvLink

    def poll(self) -> None:
        for account in self.accounts:
            poll(account)


def _centre(start_sim: Callable[..., Sim], specs: list[dict[str, Any]]) -> Centre:
    sims = [start_sim(**spec) for spec in specs]
    accounts = [make_sim_account(sim, name=f"{sim.vendor} centre") for sim in sims]
    board = Board.objects.create(name="Floor", waiting_warn=1, waiting_alarm=3)
    board.accounts.set(accounts)
    centre = Centre(sims, accounts, TvLink.objects.create(board=board))
    centre.poll()
    return centre


@pytest.fixture
def polling(transactional_db: None) -> Iterator[None]:
    """A poller running, as in production: the screens hear from every account (its
    simulator's clock stands still, so nothing changes unless a test changes it)."""
    scheduler = embedded_scheduler(tick_s=0.2).start()
    yield
    scheduler.stop()


def demo_centre(start_sim: Callable[..., Sim]) -> Centre:
    """As ``manage.py demo`` starts it: three vendors, 24 agents and 4 queues each."""
    vendors = ("spikon", "voipsun", "daktela")
    return _centre(
        start_sim,
        [{"vendor": v, "agents": 24, "queues": 4, "seed": 7 + i} for i, v in enumerate(vendors)],
    )


def open_tv(browser: Any, url: str, centre: Centre, size: tuple[int, int], rotate_s: float) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.add_init_script(ROTATE % rotate_s)
    context.add_init_script(COUNT_MESSAGES)
    page = context.new_page()
    page.goto(f"{url}/tv/{centre.link.token}/")
    page.wait_for_selector("#connection[data-state=open]", timeout=10_000)
    page.wait_for_function("() => document.body.dataset.density", timeout=10_000)
    # The full state sent on connect has been laid out: the first message, handled (tv.js
    # lays out in its handler of the same event, before the next frame polls this).
    page.wait_for_function("() => window.__messages > 0", timeout=10_000)
    return page


def _rotation(page: Any) -> list[dict[str, Any]]:
    """What each page of one rotation shows, from the page on screen now."""
    first: dict[str, Any] = page.evaluate(WATCH)
    pages = int(first["page"].split(" / ")[1])
    page.wait_for_function(
        "(pages) => window.__rotation.length >= pages", arg=pages, timeout=15_000 * pages
    )
    return list(page.evaluate("() => window.__rotation"))


def _check_every_size(
    browser: Any,
    url: str,
    centre: Centre,
    name: str,
    sizes: list[tuple[int, int]] = SIZES,
    *,
    rotates: bool = False,
) -> list[str]:
    """Everything wrong on each page of one rotation at each of ``sizes`` (and, if the
    centre ``rotates``, that it does not take more than one page)."""
    failures, figures = [], []
    for width, height in sizes:
        page = open_tv(browser, url, centre, (width, height), rotate_s=0.2)
        where = f"{name} at {width}x{height}"
        shown: set[str] = set()
        rotation = _rotation(page)
        for screen in rotation:
            on = f"{where}, page {screen['page']} ({screen['density']})"
            failures += [f"{on}: {problem}" for problem in screen["problems"]]
            if screen["figure_px"] < FIGURE_SHARE * height:
                failures.append(f"{on}: queue figures {screen['figure_px']} px < 4 % of {height}")
            if screen["agents"] and screen["agent_px"] < AGENT_SHARE * height:
                failures.append(f"{on}: agent text {screen['agent_px']} px < 1.6 % of {height}")
            shown.update(screen["agents"])
        if rotates and len(rotation) < 2:
            failures.append(f"{where}: every agent on one page, legible?")
        missing = set(rotation[0]["all_agents"]) - shown
        if missing or not rotation[0]["all_agents"]:
            failures.append(f"{where}: {len(missing)} agents never on screen in one rotation")
        queues_seen = {q for screen in rotation for q in screen["queues"]}
        if queues_seen != set(rotation[0]["all_queues"]):
            failures.append(f"{where}: a queue is never on screen in one rotation")
        figure_px = min(screen["figure_px"] for screen in rotation)
        agent_px = min(screen["agent_px"] for screen in rotation)
        figures.append(
            f"{width}x{height}: {rotation[0]['density']}, {len(rotation)} page(s) of"
            f" {[len(s['agents']) for s in rotation]} agents, figures"
            f" {figure_px:.1f} px ({figure_px / height:.1%}), agent text {agent_px:.1f} px"
            f" ({agent_px / height:.1%})"
        )
        page.context.close()
    print(f"\n{name}: " + "; ".join(figures))  # noqa: T201 - the figures, for the record (-s)
    return failures


# One test per screen size, so that the sizes run side by side under pytest-xdist.
by_size = pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])


@by_size
def test_the_demo_centre_fits_every_screen(
    asgi_server: StartServer,
    browser: Any,
    start_sim: Callable[..., Sim],
    polling: None,
    size: tuple[int, int],
) -> None:
    centre = demo_centre(start_sim)
    failures = _check_every_size(
        browser, asgi_server(), centre, "demo centre (3 x 24 agents, 12 queues)", [size]
    )
    assert failures == []


@by_size
def test_a_large_centre_with_hostile_names_rotates_and_fits_every_screen(
    asgi_server: StartServer,
    browser: Any,
    start_sim: Callable[..., Sim],
    polling: None,
    size: tuple[int, int],
) -> None:
    """300 agents in 20 queues cannot be on one screen at legible sizes: the TV rotates,
    and the simulator's hostile names (long, markup-like) still fit their tiles."""
    centre = _centre(
        start_sim,
        [{"vendor": "daktela", "agents": 300, "queues": 20, "seed": 5, "names": "hostile"}],
    )
    failures = _check_every_size(
        browser, asgi_server(), centre, "large centre (300 agents, 20 queues)", [size], rotates=True
    )
    assert failures == []


TILES = _js("tile_boxes.js")


def test_a_pushed_change_moves_no_tile(
    asgi_server: StartServer, browser: Any, start_sim: Callable[..., Sim]
) -> None:
    """An agent on this page and one on the next change state, a caller starts waiting in
    a queue on screen: their tiles are swapped in place, nothing else moves, and the page
    keeps the agents it had."""
    centre = demo_centre(start_sim)
    page = open_tv(browser, asgi_server(), centre, (1920, 1080), rotate_s=600)
    assert page.evaluate(PAGE) == "1 / 2"
    before = page.evaluate(TILES)
    screen = page.evaluate(CHECK)
    daktela = centre.accounts[2]
    tiles = {int(tile_id.split("-")[1]): tile_id for tile_id in screen["all_agents"]}
    idle = list(Agent.objects.filter(pk__in=tiles, status=AgentStatus.IDLE).order_by("pk"))
    on_page = next(a for a in idle if tiles[a.pk] in screen["agents"])
    off_page = next(a for a in reversed(idle) if tiles[a.pk] not in screen["agents"])
    queue = Queue.objects.filter(
        account=daktela, pk__in=[int(q.split("-")[1]) for q in screen["queues"]]
    ).first()
    assert queue is not None, "the daktela queues are on the first page"
    for agent in (on_page, off_page):
        sim = centre.sims[centre.accounts.index(agent.account)]
        sim_id = next(a.id for a in sim.engine.truth().agents if a.login == agent.login)
        sim.engine.set_status(sim_id, AgentStatus.PAUSED, "6")
    centre.sims[2].engine.add_waiting_call(queue.vendor_id, "226211245")
    centre.poll()

    page.wait_for_selector(f"#agent-{on_page.pk}[data-status=PAUSED]", timeout=5_000)
    page.wait_for_selector(f"#agent-{off_page.pk}[data-status=PAUSED]", state="attached")
    page.wait_for_function(
        f"() => document.querySelector('#queue-{queue.pk} .waiting dd').textContent === '1'"
    )
    after = page.evaluate(TILES)
    assert after == before
    assert page.evaluate(CHECK)["problems"] == []
    assert page.evaluate(PAGE) == "1 / 2"
