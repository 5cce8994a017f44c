"""The rules form and the delivery log: clear errors for bad input, secrets write-only and
encrypted at rest, and each page only within the person's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import make_user
from tests.wallboard.notifications.conftest import Receiver, Wall
from wallboard.dashboards.models import Board
from wallboard.monitoring.models import ProviderAccount, Queue
from wallboard.notifications.models import Channel, Delivery, Rule
from wallboard.notifications.sender import send_due

pytestmark = pytest.mark.django_db

WEBHOOK = {
    "name": "Ticketing",
    "enabled": "on",
    "channel": "webhook",
    "url": "https://tickets.example.com/hooks/wallboard",
    "on_alarm": "on",
    "on_recovered": "on",
    "language": "en",
}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor(wall: Wall) -> Client:
    return signed_in(make_user("sup", "supervisor", accounts=(wall.account,)))


def new_rule(client: Client, wall: Wall, **data: str) -> Any:
    return client.post(f"/notifications/boards/{wall.board.pk}/rules/new/", {**WEBHOOK, **data})


def test_a_bad_destination_url_is_a_clear_form_error(wall: Wall, supervisor: Client) -> None:
    response = new_rule(supervisor, wall, url="hooks.slack.com/services/T0/B0/x")
    assert response.status_code == 400
    assert "“hooks.slack.com/services/T0/B0/x” is not a web address" in response.text
    assert "starting with https://" in response.text
    response = new_rule(supervisor, wall, channel="slack", url="")
    assert "A Slack rule needs the URL to post to." in response.text
    response = new_rule(supervisor, wall, url="ftp://tickets.example.com/x")
    assert "is not a web address" in response.text
    assert not Rule.objects.exists()


def test_bad_recipients_and_no_event_are_refused(wall: Wall, supervisor: Client) -> None:
    response = new_rule(
        supervisor, wall, channel="email", url="", recipients="duty@callcenter.test, duty@"
    )
    assert response.status_code == 400
    assert "“duty@” is not an e-mail address." in response.text
    response = new_rule(supervisor, wall, on_alarm="", on_recovered="")
    assert "Tick at least one event to notify about." in response.text
    response = new_rule(supervisor, wall, secret="short")
    assert "Use at least 16 characters" in response.text
    assert not Rule.objects.exists()


def test_a_new_webhook_gets_a_secret_shown_once_and_stored_encrypted(
    wall: Wall, supervisor: Client
) -> None:
    response = new_rule(supervisor, wall)
    assert response.status_code == 200
    rule = Rule.objects.get()
    assert len(rule.secret) >= 40
    assert rule.secret in response.text  # shown this once
    with connection.cursor() as cursor:
        cursor.execute("SELECT url, secret FROM notifications_rule")
        (stored_url, stored_secret) = cursor.fetchone()
    assert "tickets.example.com" not in stored_url
    assert rule.secret not in stored_secret

    edit = supervisor.get(f"/notifications/rules/{rule.pk}/")
    assert rule.secret not in edit.text  # write-only from now on
    assert "https://tickets.example.com/hooks/wallboard" in edit.text
    data = {**WEBHOOK, "name": "Tickets", "secret": ""}
    response = supervisor.post(f"/notifications/rules/{rule.pk}/", data)
    assert response.status_code == 302
    kept = Rule.objects.get()
    assert (kept.name, kept.secret) == ("Tickets", rule.secret)


def test_a_rule_may_be_narrowed_only_to_the_boards_queues(wall: Wall, supervisor: Client) -> None:
    other = ProviderAccount.objects.create(name="Other", vendor="daktela", base_url="http://o")
    foreign = Queue.objects.create(account=other, vendor_id="9", name="Elsewhere")
    response = new_rule(supervisor, wall, queues=str(foreign.pk))
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    response = new_rule(supervisor, wall, queues=str(wall.queue.pk))
    assert list(Rule.objects.get().queues.all()) == [wall.queue]


def test_pages_stay_within_the_persons_scope(wall: Wall) -> None:
    rule = wall.rule(Channel.SLACK, url="https://hooks.slack.com/services/T0/B0/secret-token")
    other = ProviderAccount.objects.create(name="Other", vendor="daktela", base_url="http://o")
    stranger = signed_in(make_user("stranger", "supervisor", accounts=(other,)))
    for url in (
        f"/notifications/boards/{wall.board.pk}/rules/new/",
        f"/notifications/boards/{wall.board.pk}/deliveries/",
        f"/notifications/rules/{rule.pk}/",
    ):
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(f"/notifications/rules/{rule.pk}/delete/").status_code == 404
    index = stranger.get("/notifications/")
    assert "Support wall" not in index.text

    # A board reaching an account outside a supervisor's scope is not theirs either.
    wall.board.accounts.add(other)
    partly = signed_in(make_user("partly", "supervisor", accounts=(wall.account,)))
    assert partly.get(f"/notifications/boards/{wall.board.pk}/deliveries/").status_code == 404

    for role in ("viewer", "agent"):
        client = signed_in(make_user(role, role, accounts=(wall.account,)))
        assert client.get("/notifications/").status_code == 403
        assert client.get(f"/notifications/rules/{rule.pk}/").status_code == 403
    assert Client().get("/notifications/").status_code == 302  # to the login page

    admin = signed_in(make_user("boss", "admin"))
    page = admin.get("/notifications/")
    assert "Support wall" in page.text
    assert "hooks.slack.com" in page.text
    assert "secret-token" not in page.text  # the URL's path is a credential


def test_the_delivery_log_shows_each_attempt_of_this_board_only(
    wall: Wall, supervisor: Client, receiver: Receiver
) -> None:
    receiver.replies = [500]
    wall.rule(Channel.WEBHOOK, url=receiver.url, name="Ticketing")
    wall.waiting(5, at_s=0)
    send_due()
    delivery = Delivery.objects.get()
    send_due(delivery.next_attempt_at)
    elsewhere = Board.objects.create(name="Sales wall", waiting_warn=1)
    elsewhere.accounts.add(wall.account)
    Rule.objects.create(board=elsewhere, name="Sales desk", channel="email", recipients="s@x.test")
    wall.waiting(5, at_s=1)

    log = supervisor.get(f"/notifications/boards/{wall.board.pk}/deliveries/")
    assert log.status_code == 200
    assert "Ticketing" in log.text
    assert "Sales desk" not in log.text
    assert "HTTP 500" in log.text
    assert "HTTP 200" in log.text
    assert "Delivered" in log.text
    assert "Support (Main)" in log.text
    failed = supervisor.get(f"/notifications/boards/{wall.board.pk}/deliveries/?status=failed")
    assert "Ticketing" not in failed.text
    # The board's rules page links to its log.
    index = supervisor.get("/notifications/")
    assert f"/notifications/boards/{wall.board.pk}/deliveries/" in index.text


def test_deleting_a_rule_asks_first_and_keeps_its_log(wall: Wall, supervisor: Client) -> None:
    rule = wall.rule(Channel.EMAIL)
    wall.waiting(5, at_s=0)
    index = supervisor.get("/notifications/")
    assert "hx-confirm" in index.text
    response = supervisor.post(f"/notifications/rules/{rule.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.headers["HX-Redirect"] == "/notifications/"
    assert not Rule.objects.exists()
    assert Delivery.objects.get().rule_name == "email rule"


def test_the_admin_refuses_the_same_bad_input(wall: Wall) -> None:
    from django.contrib.auth import get_user_model

    admin = signed_in(get_user_model().objects.create_superuser("root", password="pw"))
    data = {**WEBHOOK, "board": str(wall.board.pk), "url": "not a url"}
    response = admin.post("/admin/notifications/rule/add/", data)
    assert response.status_code == 200
    assert "is not a web address" in response.text
    response = admin.post("/admin/notifications/rule/add/", {**data, "url": WEBHOOK["url"]})
    assert response.status_code == 302
    assert Rule.objects.get().secret


def test_the_rules_page_says_when_a_rules_last_delivery_failed(
    wall: Wall, supervisor: Client, receiver: Receiver
) -> None:
    receiver.replies = [410]
    wall.rule(Channel.SLACK, url=receiver.url, name="Archived channel")
    wall.waiting(5, at_s=0)
    send_due()
    page = supervisor.get("/notifications/").text
    assert "the last delivery failed" in page
    assert f"/notifications/boards/{wall.board.pk}/deliveries/?status=failed" in page
    wall.waiting(0, at_s=10)
    wall.waiting(0, at_s=45)  # recovered: delivered this time
    send_due()
    assert "the last delivery failed" not in supervisor.get("/notifications/").text
