"""The board widgets (ADR 027): the waiting-caller list, the queue summary table and the
leaderboard — chosen in the editor, shown on the board page, within a board's queues."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from providers.model import AgentStatus
from tests.conftest import forget_cached, make_user
from wallboard.dashboards.html import NO_FIGURE
from wallboard.dashboards.models import Board, Widget
from wallboard.dashboards.selection import CALLERS_LISTED, BoardView
from wallboard.monitoring.models import (
    Agent,
    AgentStatusSpan,
    Membership,
    ProviderAccount,
    Queue,
    WaitingCall,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_standings() -> None:
    forget_cached()


@pytest.fixture
def centre() -> dict[str, Any]:
    now = timezone.now()
    # The reporting day began an hour ago, whenever the test runs.
    day_start = (now.astimezone(ZoneInfo("Europe/Prague")) - timedelta(hours=1)).time()
    account = ProviderAccount.objects.create(
        name="Ours",
        vendor="daktela",
        base_url="http://x",
        time_zone="Europe/Prague",
        day_starts_at=day_start,
    )
    support = Queue.objects.create(
        account=account, vendor_id="1", name="Support", calls_waiting=2, agents_ready=1
    )
    sales = Queue.objects.create(
        account=account,
        vendor_id="2",
        name="Sales",
        calls_waiting=1,
        service_level_pct=87.4,
        answered=41,
        abandoned=3,
    )
    WaitingCall.objects.create(
        queue=support, position=1, caller="+420601000111", waiting_since=now - timedelta(minutes=2)
    )
    WaitingCall.objects.create(
        queue=support, position=2, caller="+420601000222", caller_name="Jana Nováková"
    )
    WaitingCall.objects.create(
        queue=sales, position=1, caller="+420601000333", waiting_since=now - timedelta(minutes=5)
    )
    ann = Agent.objects.create(account=account, vendor_id="a", name="Ann Sales", status="IDLE")
    bob = Agent.objects.create(account=account, vendor_id="b", name="Bob Support", status="IDLE")
    Membership.objects.create(agent=ann, queue=sales)
    Membership.objects.create(agent=bob, queue=support)
    for agent, calls in ((ann, 1), (bob, 2)):
        for n in range(calls):
            for status, begins, ends in ((AgentStatus.TALKING, 30, 25), (AgentStatus.IDLE, 25, 20)):
                AgentStatusSpan.objects.create(
                    agent=agent,
                    status=status.value,
                    started_at=now - timedelta(minutes=begins - 10 * n),
                    ended_at=now - timedelta(minutes=ends - 10 * n),
                )
    return {"account": account, "support": support, "sales": sales, "ann": ann, "bob": bob}


def _board(c: dict[str, Any], *widgets: Widget, queues: tuple[Queue, ...] = ()) -> Board:
    board = Board.objects.create(name="Wall", widgets=[w.value for w in widgets])
    board.accounts.set([c["account"]])
    board.queues.set(queues)
    return board


def _page(c: dict[str, Any], board: Board) -> str:
    client = Client()
    client.force_login(make_user("sup", "supervisor", accounts=(c["account"],)))
    reply = client.get(f"/board/?board={board.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert reply.status_code == 200
    return reply.content.decode()


def _fragment(page: str, element: str, fragment_id: str) -> str:
    start = page.index(f'<{element} id="{fragment_id}"')
    return page[start : page.index(f"</{element}>", start)]


def test_the_editor_offers_every_widget_in_every_slot(centre: dict[str, Any]) -> None:
    client = Client()
    client.force_login(make_user("boss", "supervisor", accounts=(centre["account"],)))
    answer = {
        "name": "Wall",
        "accounts": [centre["account"].pk],
        "agent_grid": "hidden",
        "rotate_s": "15",
        "theme": "dark",
        "slot_0": "leaders",
        "slot_1": "summary",
        "slot_3": "callers",
    }
    reply = client.post("/boards/new/", answer)
    assert reply.status_code == 302, reply.content.decode()[:2000]
    board = Board.objects.get(name="Wall")
    assert board.widgets == ["leaders", "summary", "callers"]
    form = client.get(f"/boards/{board.pk}/").content.decode()
    for n in range(len(Widget.choices)):
        assert f'name="slot_{n}"' in form
    assert form.count('<option value="leaders"') == len(Widget.choices)
    page = _page(centre, board)
    order = [page.index(f'id="{kind}-') for kind in ("leaders", "summary", "callers")]
    assert order == sorted(order), "the widgets in the order of their slots"
    assert "agent-tile" not in page


def test_the_caller_list_shows_every_caller_longest_first(centre: dict[str, Any]) -> None:
    board = _board(centre, Widget.CALLERS)
    listed = _fragment(_page(centre, board), "section", f"callers-{centre['account'].pk}")
    rows = re.findall(
        r'<li><span class="queue-name">(\w+)</span><span class="caller">([^<]+)<', listed
    )
    assert rows == [
        ("Sales", "+420601000333"),
        ("Support", "+420601000111"),
        ("Support", "Jana Nováková"),
    ], "longest first; the name where the vendor gives one; no waiting time last"
    assert listed.count("<time data-since=") == 2
    assert '<b class="count">3</b>' in listed
    assert listed.count('<li class="blank">') == CALLERS_LISTED - 3, "always as many rows"


def test_a_board_of_some_queues_lists_only_their_callers_and_members(
    centre: dict[str, Any],
) -> None:
    board = _board(
        centre, Widget.CALLERS, Widget.SUMMARY, Widget.LEADERS, queues=(centre["sales"],)
    )
    page = _page(centre, board)
    listed = _fragment(page, "section", f"callers-{centre['account'].pk}")
    assert "+420601000333" in listed
    assert "Support" not in listed
    table = _fragment(page, "table", f"summary-{centre['account'].pk}")
    assert f'id="summary-q{centre["sales"].pk}"' in table
    assert f'id="summary-q{centre["support"].pk}"' not in table
    leaders = _fragment(page, "section", f"leaders-{centre['account'].pk}")
    assert "Ann Sales" in leaders
    assert "Bob Support" not in leaders


def test_the_summary_has_a_row_per_queue_with_a_dash_for_what_is_not_reported(
    centre: dict[str, Any],
) -> None:
    board = _board(centre, Widget.SUMMARY)
    table = _fragment(_page(centre, board), "table", f"summary-{centre['account'].pk}")
    sales = _fragment(table, "tr", f"summary-q{centre['sales'].pk}")
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", sales)
    assert cells[0] == "Sales"
    assert cells[1] == "1"
    assert cells[3] == "87&nbsp;%"
    assert cells[5:] == ["41", "3"]
    support = _fragment(table, "tr", f"summary-q{centre['support'].pk}")
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", support)
    assert cells[3] == NO_FIGURE, "no SLA from the vendor"
    assert cells[5:] == [NO_FIGURE, NO_FIGURE], "no answered / abandoned counters"
    counts = f'<b class="ready" title="ready">1</b><b class="busy" title="busy">{NO_FIGURE}</b>'
    assert counts in support


def test_the_leaderboard_ranks_agents_by_calls_today(centre: dict[str, Any]) -> None:
    board = _board(centre, Widget.LEADERS)
    leaders = _fragment(_page(centre, board), "section", f"leaders-{centre['account'].pk}")
    rows = re.findall(
        r'<span class="rank">(\d+)</span><span class="name">([^<]+)</span>'
        r'<span class="calls">(\d+)</span><span class="talk">([^<]+)</span>',
        leaders,
    )
    assert rows == [("1", "Bob Support", "2", "0:10:00"), ("2", "Ann Sales", "1", "0:05:00")]


def test_a_vendor_without_calls_per_agent_says_so_instead_of_zeros(
    centre: dict[str, Any],
) -> None:
    AgentStatusSpan.objects.all().delete()
    board = _board(centre, Widget.LEADERS)
    leaders = _fragment(_page(centre, board), "section", f"leaders-{centre['account'].pk}")
    assert "Daktela reports no calls per agent here" in leaders
    assert "<ol>" not in leaders


def test_the_console_reads_no_widget_data(centre: dict[str, Any]) -> None:
    """Only a board that shows a widget pays for it."""
    section = BoardView(accounts=[centre["account"]]).section(centre["account"])
    assert "caller_list" not in section
    assert "leaders" not in section


def test_a_long_queue_lists_the_longest_waiting_and_says_how_many_more(
    centre: dict[str, Any],
) -> None:
    since = timezone.now() - timedelta(minutes=1)
    for n in range(CALLERS_LISTED):
        WaitingCall.objects.create(
            queue=centre["support"], position=3 + n, caller=f"+4207{n:08d}", waiting_since=since
        )
    board = _board(centre, Widget.CALLERS)
    listed = _fragment(_page(centre, board), "section", f"callers-{centre['account'].pk}")
    assert f'<b class="count">{CALLERS_LISTED + 3}</b><small>3 more not listed</small>' in listed
    assert listed.count('<span class="caller">') == CALLERS_LISTED
    assert "blank" not in listed
    assert "Jana Nováková" not in listed, "no waiting time: after every caller who has one"
