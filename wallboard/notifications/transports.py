"""How a delivery reaches its destination: one transport per channel, in an explicit
registry (``TRANSPORTS``). A transport sends once and answers the receiver's HTTP status
(None for e-mail) or raises ``TransportError``; the sender decides about retrying.

Webhooks are signed (HMAC-SHA256, README "Notifications"): with the rule's secret over
``<timestamp>.<raw body>``, sent as ``X-Wallboard-Signature: sha256=<hex>`` next to
``X-Wallboard-Timestamp`` (Unix seconds), so a receiver can refuse a replayed request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from functools import cache
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _

from wallboard.notifications import messages
from wallboard.notifications.models import Channel, Delivery, Rule, split_recipients

SIGNATURE_HEADER = "X-Wallboard-Signature"
TIMESTAMP_HEADER = "X-Wallboard-Timestamp"
DELIVERY_HEADER = "X-Wallboard-Delivery"
EVENT_HEADER = "X-Wallboard-Event"
USER_AGENT = "Wallboard-Notifications/1"
# HTTP answers that retrying may change: a timeout, a conflict, too many requests.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})
# How much of a refusing receiver's reply the log keeps (Slack says why: "invalid_payload").
REPLY_SHOWN = 200


class TransportError(Exception):
    """A send that failed; ``permanent`` when retrying cannot help (the receiver refused
    the request itself)."""

    def __init__(
        self, message: str, *, status_code: int | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.permanent = permanent


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


@cache
def _client() -> httpx.Client:
    """One client per process: its TLS context is built once, its connections reused."""
    return httpx.Client(follow_redirects=False)


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class Transport:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def send(self, delivery: Delivery) -> int | None:
        raise NotImplementedError


class HttpTransport(Transport):
    """POST a JSON body to the rule's URL; 2xx is delivered."""

    def payload(self, delivery: Delivery) -> dict[str, Any]:
        raise NotImplementedError

    def headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json", "User-Agent": USER_AGENT}

    def check(self, response: httpx.Response) -> None:
        """Raise for a reply that is not a delivery."""
        code = response.status_code
        if 200 <= code < 300:
            return
        reply = " ".join(response.text.split())[:REPLY_SHOWN]
        if 300 <= code < 400:
            raise TransportError(
                _("HTTP %(code)d: the receiver redirects to %(location)s; enter that address")
                % {"code": code, "location": response.headers.get("location", "?")},
                status_code=code,
                permanent=True,
            )
        message = f"HTTP {code}" + (f": {reply}" if reply else "")
        permanent = 400 <= code < 500 and code not in RETRYABLE_4XX
        raise TransportError(message, status_code=code, permanent=permanent)

    def send(self, delivery: Delivery) -> int | None:
        body = _encode(self.payload(delivery))
        url = self.rule.url
        headers = self.headers(delivery, body)
        try:
            response = _client().post(
                url, content=body, headers=headers, timeout=settings.NOTIFY_TIMEOUT_S
            )
        except httpx.TimeoutException:
            raise TransportError(
                _("No answer from %(host)s within %(seconds)s s")
                % {"host": httpx.URL(url).host, "seconds": settings.NOTIFY_TIMEOUT_S}
            ) from None
        except httpx.HTTPError as err:
            raise TransportError(
                _("Cannot reach %(host)s: %(error)s") % {"host": httpx.URL(url).host, "error": err}
            ) from None
        self.check(response)
        return response.status_code


class Webhook(HttpTransport):
    def payload(self, delivery: Delivery) -> dict[str, Any]:
        return messages.webhook(str(delivery.key), delivery.facts)

    def headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        timestamp = int(time.time())
        return {
            **super().headers(delivery, body),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.key),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.rule.secret, timestamp, body),
        }


class Slack(HttpTransport):
    def payload(self, delivery: Delivery) -> dict[str, Any]:
        return messages.slack(delivery.rule_name, delivery.facts)


class Teams(HttpTransport):
    def payload(self, delivery: Delivery) -> dict[str, Any]:
        return messages.teams(delivery.rule_name, delivery.facts)

    def check(self, response: httpx.Response) -> None:
        super().check(response)
        # Teams connectors answer throttling with 200 and the error in the body.
        if "HTTP error 429" in response.text:
            raise TransportError(
                _("Teams is throttling this webhook (HTTP 429 in its reply)"),
                status_code=response.status_code,
            )


class Email(Transport):
    def send(self, delivery: Delivery) -> int | None:
        subject, body = messages.email(delivery.rule_name, delivery.facts)
        message = EmailMessage(
            subject,
            body,
            to=split_recipients(self.rule.recipients),
            headers={DELIVERY_HEADER: str(delivery.key), "Auto-Submitted": "auto-generated"},
            connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as err:
            refused = ", ".join(
                f"{address} ({code} {reply.decode(errors='replace')})"
                for address, (code, reply) in err.recipients.items()
            )
            raise TransportError(
                _("The mail server refused every recipient: %(refused)s") % {"refused": refused},
                permanent=True,
            ) from None
        except (smtplib.SMTPException, OSError) as err:
            raise TransportError(
                _("Cannot send through the mail server %(host)s:%(port)s: %(error)s")
                % {"host": settings.EMAIL_HOST, "port": settings.EMAIL_PORT, "error": err}
            ) from None
        return None


TRANSPORTS: dict[str, type[Transport]] = {
    Channel.WEBHOOK: Webhook,
    Channel.EMAIL: Email,
    Channel.SLACK: Slack,
    Channel.TEAMS: Teams,
}
