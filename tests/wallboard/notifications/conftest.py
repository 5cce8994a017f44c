"""A real HTTP receiver and a real SMTP server on this machine, and a board whose queue
figures a test sets, evaluated as the pipeline does after a poll."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.utils import timezone

from tools.processes import free_port
from wallboard.dashboards.alerts import evaluate_account
from wallboard.dashboards.models import Board
from wallboard.monitoring.models import ProviderAccount, Queue
from wallboard.notifications.models import Channel, Rule
from wallboard.notifications.sender import notify

SECRET = "a-receiver-shares-this-secret"
REPLAY_WINDOW_S = 300


def verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """A receiver's check, written from the README's recipe (not from our code)."""
    timestamp = headers.get("X-Wallboard-Timestamp", "")
    signature = headers.get("X-Wallboard-Signature", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > REPLAY_WINDOW_S:
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), signature)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool


@dataclass
class Receiver:
    """An HTTP server answering each POST with the next scripted status (then 200)."""

    secret: str = SECRET
    replies: list[int] = field(default_factory=list)
    reply_body: bytes = b"ok"
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def start(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers.items())
                signed = verify(receiver.secret, headers, body, time.time())
                receiver.requests.append(Received(self.path, headers, body, signed))
                status = receiver.replies.pop(0) if receiver.replies else 200
                self.send_response(status)
                self.send_header("Content-Length", str(len(receiver.reply_body)))
                self.end_headers()
                self.wfile.write(receiver.reply_body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/wallboard"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = receiver.start()
    yield receiver
    server.shutdown()
    server.server_close()


class Mailbox:
    """aiosmtpd's handler: keeps each accepted message; refuses addresses at nowhere.test."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.endswith("@nowhere.test"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server, and Django's SMTP backend pointed at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.DEFAULT_FROM_EMAIL = "wallboard@callcenter.test"
    yield mailbox
    controller.stop()


@pytest.fixture(autouse=True)
def quick_retries(settings: Any) -> None:
    settings.NOTIFY_RETRY_BASE_S = 10
    settings.NOTIFY_MAX_ATTEMPTS = 4
    settings.NOTIFY_TIMEOUT_S = 2
    settings.ALERT_COOLDOWN_S = 30


class Wall:
    """One account, one queue and a board that warns at 2 waiting calls and alarms at 4;
    its clock starts ten minutes ago, so what it evaluates is due now."""

    def __init__(self) -> None:
        self.t0 = timezone.now() - timedelta(minutes=10)
        self.account = ProviderAccount.objects.create(
            name="Main", vendor="daktela", base_url="http://daktela.test"
        )
        self.queue = Queue.objects.create(
            account=self.account, vendor_id="4", name="Support", calls_waiting=0
        )
        self.board = Board.objects.create(name="Support wall", waiting_warn=2, waiting_alarm=4)
        self.board.accounts.add(self.account)

    def rule(self, channel: str = Channel.WEBHOOK, **fields: Any) -> Rule:
        defaults: dict[str, Any] = {"name": f"{channel} rule", "on_warning": True}
        if channel == Channel.EMAIL:
            defaults["recipients"] = "duty@callcenter.test, lead@callcenter.test"
        if channel == Channel.WEBHOOK:
            defaults["secret"] = SECRET
        return Rule.objects.create(board=self.board, channel=channel, **{**defaults, **fields})

    def waiting(self, calls: int, at_s: float, *, stale: bool = False) -> int:
        """Set the figures, evaluate the board at t0 + ``at_s`` as the pipeline does after a
        poll, and hand the changes to the notifications; the deliveries queued."""
        Queue.objects.filter(pk=self.queue.pk).update(calls_waiting=calls)
        ProviderAccount.objects.filter(pk=self.account.pk).update(
            stale=stale, last_error="Daktela: connection refused" if stale else ""
        )
        return notify(evaluate_account(self.account.pk, self.t0 + timedelta(seconds=at_s)))


@pytest.fixture
def wall(db: None) -> Wall:
    return Wall()
