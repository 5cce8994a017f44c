"""The board editor (ADR 027): what a supervisor may pick is their scope; a bad answer comes
back with its error and saves nothing; what is saved shapes the board's page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import make_user
from wallboard.dashboards.alerts import Limits
from wallboard.dashboards.models import AgentGrid, Board, QueueThreshold, TickerMessage, TvLink
from wallboard.monitoring.models import Agent, Membership, ProviderAccount, Queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre() -> dict[str, Any]:
    ours = ProviderAccount.objects.create(name="Ours", vendor="daktela", base_url="http://x")
    theirs = ProviderAccount.objects.create(name="Theirs", vendor="daktela", base_url="http://y")
    support = Queue.objects.create(account=ours, vendor_id="1", name="Support")
    sales = Queue.objects.create(account=ours, vendor_id="2", name="Sales")
    other = Queue.objects.create(account=theirs, vendor_id="3", name="Elsewhere")
    agent = Agent.objects.create(account=ours, vendor_id="a1", name="Alice Ready", status="IDLE")
    Membership.objects.create(agent=agent, queue=support)
    return {"ours": ours, "theirs": theirs, "support": support, "sales": sales, "other": other}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answer(c: dict[str, Any], **changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "name": "Floor",
        "accounts": [c["ours"].pk],
        "queues": [],
        "agent_grid": "all",
        "rotate_s": "20",
        "theme": "light",
        "slot_0": "agents",
        "slot_1": "queues",
    }
    answer.update(changes)
    return answer


def test_a_supervisor_saves_a_board_of_their_accounts(centre: dict[str, Any]) -> None:
    boss = make_user("boss", "supervisor", accounts=(centre["ours"],))
    answer = _answer(centre, **{f"q{centre['support'].pk}-sla_target_pct": "80"})
    answer[f"q{centre['support'].pk}-sla_threshold_s"] = "20"
    answer[f"q{centre['support'].pk}-max_wait_s"] = "60"
    reply = _client(boss).post("/boards/new/", answer)
    assert reply.status_code == 302, reply.content.decode()[:2000]
    board = Board.objects.get()
    assert board.widgets == ["agents", "queues"]
    assert (board.rotate_s, board.theme) == (20, "light")
    targets = QueueThreshold.objects.get(board=board, queue=centre["support"])
    assert Limits.of(board, targets).sla_warn_pct == 80
    assert Limits.of(board, targets).sla_alarm_pct == 70
    assert Limits.of(board, targets).longest_wait_alarm_s == 60
    # No target typed for Sales: no row for it.
    assert not QueueThreshold.objects.filter(queue=centre["sales"]).exists()
    page = _client(boss).get(f"/board/?board={board.pk}").content.decode()
    assert 'data-rotate-s="20"' in page
    assert 'data-theme="light"' in page
    assert page.index('class="agents"') < page.index('class="queues"')


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"accounts": ["theirs"]}, "is not one of the available choices"),
        ({"queues": ["other"]}, "is not one of the available choices"),
        ({"queues": ["999999"]}, "is not one of the available choices"),
        ({"queues": ["nonsense"]}, "is not a valid value"),
        ({"slot_1": "agents"}, "Each widget may be placed once"),
        ({"slot_0": "", "slot_1": ""}, "Place at least one widget"),
        ({"slot_0": "queues", "slot_1": ""}, "Place the agent grid"),
        ({"rotate_s": "1"}, "greater than or equal to 5"),
        ({"theme": "pink"}, "Select a valid choice"),
    ],
)
def test_a_bad_answer_is_refused_and_nothing_is_saved(
    centre: dict[str, Any], changes: dict[str, Any], error: str
) -> None:
    """Out of scope (another account, its queue), no such queue, a widget twice…"""
    boss = make_user("boss", "supervisor", accounts=(centre["ours"],))
    named = {
        k: [centre[v].pk if v in centre else v for v in vs] if isinstance(vs, list) else vs
        for k, vs in changes.items()
    }
    reply = _client(boss).post("/boards/new/", _answer(centre, **named))
    assert reply.status_code == 400
    assert error in reply.content.decode()
    assert "Nothing was saved" in reply.content.decode()
    assert not Board.objects.exists()


def test_a_target_needs_its_percentage_and_its_seconds(centre: dict[str, Any]) -> None:
    boss = make_user("boss", "supervisor", accounts=(centre["ours"],))
    answer = _answer(centre, **{f"q{centre['support'].pk}-sla_target_pct": "80"})
    reply = _client(boss).post("/boards/new/", answer)
    assert reply.status_code == 400
    assert "needs both its percentage and its seconds" in reply.content.decode()
    assert not Board.objects.exists()
    assert not QueueThreshold.objects.exists()


def test_a_queue_scoped_supervisor_picks_only_their_queues(centre: dict[str, Any]) -> None:
    boss = make_user("boss", "supervisor", accounts=(centre["ours"],), queues=(centre["support"],))
    client = _client(boss)
    assert "Sales" not in client.get("/boards/new/").content.decode()
    whole = client.post("/boards/new/", _answer(centre))
    assert whole.status_code == 400
    assert "tick the queues to show" in whole.content.decode()
    sales = client.post("/boards/new/", _answer(centre, queues=[centre["sales"].pk]))
    assert sales.status_code == 400
    assert (
        client.post("/boards/new/", _answer(centre, queues=[centre["support"].pk])).status_code
        == 302
    )


def test_boards_out_of_scope_are_neither_listed_nor_opened(centre: dict[str, Any]) -> None:
    mixed = Board.objects.create(name="Both centres")
    mixed.accounts.set([centre["ours"], centre["theirs"]])
    boss = make_user("boss", "supervisor", accounts=(centre["ours"],))
    client = _client(boss)
    assert "Both centres" not in client.get("/boards/").content.decode()
    assert client.get(f"/boards/{mixed.pk}/").status_code == 404
    assert client.post(f"/boards/{mixed.pk}/", _answer(centre)).status_code == 404
    # ?board= of a board out of scope is ignored: the person's own board shows.
    assert "Both centres" not in client.get(f"/board/?board={mixed.pk}").content.decode()


def test_viewers_and_agents_may_not_edit(centre: dict[str, Any]) -> None:
    viewer = make_user("viewer", "viewer", accounts=(centre["ours"],))
    assert _client(viewer).get("/boards/").status_code == 403
    assert _client(viewer).post("/boards/new/", _answer(centre)).status_code == 403
    assert not Board.objects.exists()


def test_the_agent_grid_shows_all_only_those_not_ready_or_none(centre: dict[str, Any]) -> None:
    board = Board.objects.create(name="Floor", widgets=["queues", "agents"])
    board.accounts.set([centre["ours"]])
    admin = make_user("root", "admin")
    client = _client(admin)
    assert 'data-grid="all"' in client.get(f"/board/?board={board.pk}").content.decode()
    board.agent_grid = AgentGrid.NOT_READY
    board.save()
    assert 'data-grid="not_ready"' in client.get(f"/board/?board={board.pk}").content.decode()
    board.agent_grid = AgentGrid.HIDDEN
    board.save()
    page = client.get(f"/board/?board={board.pk}").content.decode()
    assert "Alice Ready" not in page
    assert 'class="queues"' in page


def test_the_preview_may_be_framed_by_our_own_pages_only(centre: dict[str, Any]) -> None:
    board = Board.objects.create(name="Floor")
    board.accounts.set([centre["ours"]])
    client = _client(make_user("root", "admin"))
    preview = client.get(f"/boards/preview/?board={board.pk}&fullscreen")
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in preview["Content-Security-Policy"]
    assert client.get(f"/board/?board={board.pk}")["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"text": "", "minutes": "60"}, "This field is required"),
        ({"text": "x" * 281, "minutes": "60"}, "at most 280 characters"),
        ({"text": "Lunch at 12", "minutes": "99999"}, "Select a valid choice"),
    ],
)
def test_a_bad_ticker_message_is_refused(
    centre: dict[str, Any], answer: dict[str, str], error: str
) -> None:
    board = Board.objects.create(name="Floor")
    board.accounts.set([centre["ours"]])
    boss = make_user("boss", "supervisor", accounts=(centre["ours"],))
    reply = _client(boss).post(f"/boards/{board.pk}/ticker/", answer)
    assert reply.status_code == 400
    assert error in reply.content.decode()
    assert not TickerMessage.objects.exists()


def test_a_ticker_message_shows_until_it_expires(centre: dict[str, Any]) -> None:
    board = Board.objects.create(name="Floor")
    board.accounts.set([centre["ours"]])
    mixed = Board.objects.create(name="Both centres")
    mixed.accounts.set([centre["ours"], centre["theirs"]])
    boss = make_user("boss", "supervisor", accounts=(centre["ours"],))
    client = _client(boss)
    answer = {"text": "Team meeting <b>at</b> 3", "minutes": "15"}
    assert client.post(f"/boards/{mixed.pk}/ticker/", answer).status_code == 404
    assert client.post(f"/boards/{board.pk}/ticker/", answer).status_code == 302
    message = TickerMessage.objects.get()
    assert message.board == board
    page = client.get(f"/board/?board={board.pk}").content.decode()
    assert "Team meeting &lt;b&gt;at&lt;/b&gt; 3" in page
    message.expires_at = timezone.now() - timedelta(seconds=1)
    message.save()
    # After expiry a reload shows no message.
    assert "Team meeting" not in client.get(f"/board/?board={board.pk}").content.decode()


def test_tv_buttons_only_for_boards_in_scope(centre: dict[str, Any]) -> None:
    ours = Board.objects.create(name="Floor")
    ours.accounts.set([centre["ours"]])
    mixed = Board.objects.create(name="Both centres")
    mixed.accounts.set([centre["ours"], centre["theirs"]])
    boss = _client(make_user("boss", "supervisor", accounts=(centre["ours"],)))
    viewer = _client(make_user("viewer", "viewer", accounts=(centre["ours"],)))
    mine, other = TvLink.objects.create(board=ours), TvLink.objects.create(board=mixed)
    assert boss.post(f"/boards/tv/{other.pk}/identify/").status_code == 404
    assert boss.post(f"/boards/tv/{mine.pk}/explode/").status_code == 404
    assert viewer.post(f"/boards/tv/{mine.pk}/reload/").status_code == 403
    assert boss.get(f"/boards/tv/{mine.pk}/reload/").status_code == 405
    mine.revoke()
    assert boss.post(f"/boards/tv/{mine.pk}/identify/").status_code == 404
