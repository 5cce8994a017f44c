"""Delivery: signed webhooks, retries with exponential back-off, giving up with a clear
last error, and every attempt in the log."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest

from tests.wallboard.notifications.conftest import Mailbox, Receiver, Wall, verify
from tools.processes import free_port
from wallboard.notifications.models import Channel, Delivery, Status
from wallboard.notifications.sender import send_due

pytestmark = pytest.mark.django_db


def test_the_signature_covers_the_timestamp_and_the_raw_body(
    wall: Wall, receiver: Receiver
) -> None:
    wall.rule(Channel.WEBHOOK, url=receiver.url)
    wall.waiting(3, at_s=0)
    send_due()
    (call,) = receiver.requests
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", call.headers["X-Wallboard-Signature"])
    assert call.signed
    now = time.time()
    assert not verify("another secret", call.headers, call.body, now)
    assert not verify(receiver.secret, call.headers, call.body + b" ", now)
    replayed = {**call.headers, "X-Wallboard-Timestamp": str(int(now) + 60)}
    assert not verify(receiver.secret, replayed, call.body, now)
    # Kept and replayed later: too old for the receiver's window.
    assert not verify(receiver.secret, call.headers, call.body, now + 301)


def test_a_receiver_answering_500_then_200_is_retried_after_the_back_off(
    wall: Wall, receiver: Receiver
) -> None:
    receiver.replies = [500]
    wall.rule(Channel.WEBHOOK, url=receiver.url)
    wall.waiting(3, at_s=0)

    assert send_due() == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)
    first = delivery.attempt_log.get()
    assert (first.status_code, first.error) == (500, "HTTP 500: ok")
    wait = delivery.next_attempt_at - first.started_at
    assert timedelta(seconds=10) <= wait < timedelta(seconds=11)
    assert send_due() == 0  # not before its time

    assert send_due(delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.delivered_at is not None
    assert [(a.number, a.status_code, a.error) for a in delivery.attempt_log.all()] == [
        (1, 500, "HTTP 500: ok"),
        (2, 200, ""),
    ]
    assert all(a.duration_ms > 0 for a in delivery.attempt_log.all())
    # The same delivery id both times (a receiver drops repeats by it), each try signed.
    assert len({r.headers["X-Wallboard-Delivery"] for r in receiver.requests}) == 1
    assert all(r.signed for r in receiver.requests)
    assert send_due(delivery.next_attempt_at + timedelta(hours=1)) == 0  # delivered once


def test_a_receiver_that_is_down_is_tried_n_times_then_given_up(wall: Wall) -> None:
    wall.rule(Channel.WEBHOOK, url=f"http://127.0.0.1:{free_port()}/hook")
    wall.waiting(5, at_s=0)
    delivery = Delivery.objects.get()
    waits = []
    for _ in range(4):
        assert send_due(delivery.next_attempt_at) == 1
        delivery.refresh_from_db()
        tried = delivery.attempt_log.last()
        assert tried is not None
        waits.append(int((delivery.next_attempt_at - tried.started_at).total_seconds()))
    # Each wait twice the one before (the last attempt schedules nothing).
    assert waits[:3] == [10, 20, 40]
    assert delivery.status == Status.FAILED
    assert delivery.attempts == 4
    assert delivery.last_error.startswith(
        "Gave up after 4 attempts. Last error: Cannot reach 127.0.0.1"
    )
    assert "Connection refused" in delivery.last_error
    assert [a.status_code for a in delivery.attempt_log.all()] == [None] * 4
    assert send_due(delivery.next_attempt_at + timedelta(days=1)) == 0


def test_a_receiver_refusing_the_request_is_not_retried(wall: Wall, receiver: Receiver) -> None:
    receiver.replies = [404]
    receiver.reply_body = b"no_service"
    wall.rule(Channel.SLACK, url=receiver.url)
    wall.waiting(5, at_s=0)
    send_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 1)
    assert delivery.last_error == "HTTP 404: no_service"


def test_teams_throttling_inside_a_200_is_retried(wall: Wall, receiver: Receiver) -> None:
    receiver.reply_body = b"Microsoft Teams endpoint returned HTTP error 429 with ContextId"
    wall.rule(Channel.TEAMS, url=receiver.url)
    wall.waiting(5, at_s=0)
    send_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)
    assert "throttling" in delivery.last_error
    receiver.reply_body = b"1"
    send_due(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED


def test_a_refused_recipient_fails_at_once_with_the_servers_words(
    wall: Wall, smtp: Mailbox
) -> None:
    wall.rule(Channel.EMAIL, recipients="ghost@nowhere.test")
    wall.waiting(5, at_s=0)
    send_due()
    delivery = Delivery.objects.get()
    assert delivery.status == Status.FAILED
    assert "ghost@nowhere.test (550 5.1.1 No such user here)" in delivery.last_error
    assert smtp.messages == []


def test_a_mail_server_that_is_down_is_retried(wall: Wall, settings: object) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # type: ignore[attr-defined]
    wall.rule(Channel.EMAIL)
    wall.waiting(5, at_s=0)
    send_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)
    assert delivery.last_error.startswith("Cannot send through the mail server 127.0.0.1:")


def test_a_deleted_rule_keeps_its_log_and_its_pending_delivery_is_dropped(
    wall: Wall, receiver: Receiver
) -> None:
    receiver.replies = [503]
    rule = wall.rule(Channel.WEBHOOK, url=receiver.url)
    wall.waiting(5, at_s=0)
    send_due()
    rule.delete()
    delivery = Delivery.objects.get()
    send_due(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.rule_name == "webhook rule"
    assert "deleted or switched off" in delivery.last_error
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body)["event"] == "alarm"
