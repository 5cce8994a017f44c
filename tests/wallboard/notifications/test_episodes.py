"""One message per level of an episode, after the TV's cool-down; one on recovery; never
twice for one transition. Delivered to a real HTTP receiver and a real SMTP server."""

from __future__ import annotations

import json
from email import message_from_bytes

import pytest

from tests.wallboard.notifications.conftest import Mailbox, Receiver, Wall
from wallboard.notifications.episodes import queue_deliveries
from wallboard.notifications.models import Channel, Delivery, Episode, Event, Status
from wallboard.notifications.sender import send_due

pytestmark = pytest.mark.django_db


def events(receiver: Receiver) -> list[str]:
    return [json.loads(r.body)["event"] for r in receiver.requests]


def test_a_warning_calls_the_webhook_once_and_mails_once(
    wall: Wall, receiver: Receiver, smtp: Mailbox
) -> None:
    wall.rule(Channel.WEBHOOK, url=receiver.url)
    wall.rule(Channel.EMAIL)

    assert wall.waiting(3, at_s=0) == 2
    assert send_due() == 2

    (call,) = receiver.requests
    assert call.path == "/hooks/wallboard"
    assert call.signed, call.headers
    body = json.loads(call.body)
    assert (body["event"], body["level"]) == ("warning", "WARN")
    assert body["queue"]["name"] == "Support"
    assert body["queue"]["calls_waiting"] == 3
    assert body["board"]["name"] == "Support wall"
    assert body["id"] == call.headers["X-Wallboard-Delivery"]
    assert call.headers["X-Wallboard-Event"] == "warning"

    (mail,) = smtp.messages
    assert sorted(mail.rcpt_tos) == ["duty@callcenter.test", "lead@callcenter.test"]
    message = message_from_bytes(mail.original_content or b"")
    assert message["Subject"] == "[Wallboard] Warning: Support (Main)"
    text = message.get_payload(decode=True).decode()
    assert "Calls waiting: 3" in text
    assert "Support wall" in text
    assert set(Delivery.objects.values_list("status", flat=True)) == {Status.DELIVERED}


def test_crossing_the_limits_again_within_the_cool_down_tells_no_one(
    wall: Wall, receiver: Receiver, smtp: Mailbox
) -> None:
    wall.rule(Channel.WEBHOOK, url=receiver.url)
    wall.rule(Channel.EMAIL)
    wall.waiting(3, at_s=0)
    send_due()

    # The queue drops below the limit and crosses it again, back and forth, within 30 s.
    for second, calls in ((5, 0), (10, 3), (15, 1), (20, 2), (25, 0), (40, 3)):
        assert wall.waiting(calls, at_s=second) == 0
    assert send_due() == 0
    assert events(receiver) == ["warning"]
    assert len(smtp.messages) == 1


def test_an_episode_tells_each_level_once_then_its_recovery(wall: Wall, receiver: Receiver) -> None:
    wall.rule(Channel.WEBHOOK, url=receiver.url)
    wall.waiting(3, at_s=0)  # warning
    wall.waiting(5, at_s=10)  # alarm
    wall.waiting(3, at_s=20)  # below the alarm: pending
    wall.waiting(3, at_s=51)  # held 31 s: shown as warning again, nothing new to tell
    wall.waiting(6, at_s=60)  # alarm again: already told in this episode
    wall.waiting(0, at_s=70)
    assert wall.waiting(0, at_s=101) == 1  # OK held past the cool-down: recovered
    send_due()
    assert events(receiver) == ["warning", "alarm", "recovered"]
    recovered = json.loads(receiver.requests[-1].body)
    assert recovered["level"] == "OK"
    assert Episode.objects.get().closed_at is not None

    # A new episode after the recovery is news again.
    assert wall.waiting(4, at_s=200) == 1
    send_due()
    assert events(receiver)[-1] == "alarm"
    assert Episode.objects.count() == 2


def test_a_rule_hears_only_its_events_and_recovery_only_of_what_it_heard(
    wall: Wall, receiver: Receiver
) -> None:
    wall.rule(Channel.WEBHOOK, url=receiver.url, on_warning=False, on_alarm=True)
    wall.waiting(3, at_s=0)  # a warning: not this rule's business
    wall.waiting(0, at_s=5)
    wall.waiting(0, at_s=40)  # recovered from a warning it never heard of
    assert send_due() == 0
    wall.waiting(5, at_s=100)
    wall.waiting(0, at_s=110)
    wall.waiting(0, at_s=150)
    send_due()
    assert events(receiver) == ["alarm", "recovered"]


def test_a_stale_account_is_one_stale_message_and_one_recovery(
    wall: Wall, receiver: Receiver
) -> None:
    wall.rule(Channel.WEBHOOK, url=receiver.url, on_warning=False, on_alarm=False)
    wall.waiting(0, at_s=0, stale=True)
    wall.waiting(0, at_s=2, stale=True)
    wall.waiting(0, at_s=4, stale=False)
    wall.waiting(0, at_s=35, stale=False)
    send_due()
    assert events(receiver) == ["stale", "recovered"]
    stale = json.loads(receiver.requests[0].body)
    assert stale["queue"] is None
    assert stale["account"]["error"] == "Daktela: connection refused"
    assert stale["text"] == "Stale data: Main cannot be reached"


def test_a_rule_narrowed_to_other_queues_is_not_told(wall: Wall, receiver: Receiver) -> None:
    from wallboard.monitoring.models import Queue

    sales = Queue.objects.create(account=wall.account, vendor_id="5", name="Sales")
    rule = wall.rule(Channel.WEBHOOK, url=receiver.url)
    rule.queues.set([sales])
    wall.waiting(3, at_s=0)
    wall.waiting(3, at_s=0, stale=True)
    send_due()
    # Support's warning is not for it; its account going stale is (Sales is on it too).
    assert events(receiver) == ["stale"]


def test_the_same_transition_handed_in_twice_is_queued_once(wall: Wall, receiver: Receiver) -> None:
    from wallboard.dashboards.alerts import evaluate_account

    rule = wall.rule(Channel.WEBHOOK, url=receiver.url)
    from wallboard.monitoring.models import Queue

    Queue.objects.filter(pk=wall.queue.pk).update(calls_waiting=3)
    changed = evaluate_account(wall.account.pk, wall.t0)
    alerts = [a for board_alerts in changed.values() for a in board_alerts]
    assert len(queue_deliveries(alerts)) == 1
    assert queue_deliveries(alerts) == []
    assert Delivery.objects.filter(rule=rule, event=Event.WARNING).count() == 1


def test_a_switched_off_rule_is_not_told(wall: Wall, receiver: Receiver) -> None:
    wall.rule(Channel.WEBHOOK, url=receiver.url, enabled=False)
    assert wall.waiting(5, at_s=0) == 0
