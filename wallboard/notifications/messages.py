"""What a notification says, built from a delivery's facts in the rule's language: the
headline and details every channel shares, and each channel's documented payload.

Slack: an incoming webhook takes ``{"text": …, "blocks": […]}``; ``text`` is the fallback
shown in notifications, the blocks are Block Kit (header ≤ 150 characters, a section of at
most 10 fields). Its mrkdwn reads ``&``, ``<`` and ``>`` as markup, so text from providers
is escaped (a queue named ``<!channel>`` must not ping everyone).

Teams: an incoming webhook (and a Workflows "when a webhook request is received" flow)
takes a ``message`` whose one attachment is an Adaptive Card
(``application/vnd.microsoft.card.adaptive``, schema 1.2: TextBlock and FactSet).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from wallboard.dashboards.html import NO_FIGURE
from wallboard.notifications.models import Event

Facts = dict[str, Any]

# Slack's limits for the blocks used here.
SLACK_HEADER_MAX = 150
SLACK_FIELDS_MAX = 10
SLACK_FIELD_TEXT_MAX = 2000


def headline(facts: Facts) -> str:
    names = {"queue": (facts["queue"] or {}).get("name", ""), "account": facts["account"]["name"]}
    event = facts["event"]
    if event == Event.WARNING:
        return _("Warning: %(queue)s (%(account)s)") % names
    if event == Event.ALARM:
        return _("Alarm: %(queue)s (%(account)s)") % names
    if event == Event.STALE:
        return _("Stale data: %(account)s cannot be reached") % names
    if facts["queue"] is None:
        return _("Recovered: %(account)s sends fresh data again") % names
    return _("Recovered: %(queue)s (%(account)s) is back to normal") % names


def _wait(seconds: int | None) -> str:
    if seconds is None:
        return NO_FIGURE
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}"


def _number(value: float | None, suffix: str = "") -> str:
    if value is None:
        return NO_FIGURE
    decimals = 1 if isinstance(value, float) else None
    return f"{formats.number_format(value, decimal_pos=decimals)}{suffix}"


def when(facts: Facts) -> str:
    """The transition's time in the server's zone, formatted for the rule's language."""
    at = timezone.localtime(datetime.fromisoformat(facts["at"]))
    return f"{formats.date_format(at, 'DATETIME_FORMAT')} {at.tzname()}"


def details(facts: Facts) -> list[tuple[str, str]]:
    """(label, value) lines under the headline."""
    lines = [(_("Board"), facts["board"]["name"])]
    queue = facts["queue"]
    if queue is not None:
        lines += [
            (_("Calls waiting"), _number(queue["calls_waiting"])),
            (_("Longest wait"), _wait(queue["longest_wait_s"])),
            (_("Service level"), _number(queue["service_level_pct"], " %")),
            (_("Agents ready"), _number(queue["agents_ready"])),
        ]
    elif facts["event"] == Event.STALE and facts["account"]["error"]:
        lines.append((_("Last error"), facts["account"]["error"]))
    lines.append((_("When"), when(facts)))
    return lines


def footer(rule_name: str, facts: Facts) -> str:
    return _("Sent by Wallboard for the notification rule “%(rule)s” of the board “%(board)s”.") % {
        "rule": rule_name,
        "board": facts["board"]["name"],
    }


def email(rule_name: str, facts: Facts) -> tuple[str, str]:
    """Subject and plain-text body."""
    body = "\n".join(
        [
            headline(facts),
            "",
            *(f"{label}: {value}" for label, value in details(facts)),
            "",
            "-- ",
            footer(rule_name, facts),
        ]
    )
    return f"[Wallboard] {headline(facts)}", body + "\n"


def webhook(key: str, facts: Facts) -> dict[str, Any]:
    """The signed JSON: the facts, the delivery's id, and the headline as ``text``."""
    return {"id": key, **facts, "text": headline(facts)}


def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(rule_name: str, facts: Facts) -> dict[str, Any]:
    title = headline(facts)
    fields = [
        {"type": "mrkdwn", "text": f"*{_mrkdwn(label)}*\n{_mrkdwn(value)}"[:SLACK_FIELD_TEXT_MAX]}
        for label, value in details(facts)[:SLACK_FIELDS_MAX]
    ]
    return {
        "text": _mrkdwn(title),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:SLACK_HEADER_MAX]}},
            {"type": "section", "fields": fields},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _mrkdwn(footer(rule_name, facts))}],
            },
        ],
    }


_TEAMS_COLOUR = {
    Event.WARNING: "Warning",
    Event.ALARM: "Attention",
    Event.STALE: "Attention",
    Event.RECOVERED: "Good",
}


def teams(rule_name: str, facts: Facts) -> dict[str, Any]:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": [
            {
                "type": "TextBlock",
                "text": headline(facts),
                "size": "Large",
                "weight": "Bolder",
                "color": _TEAMS_COLOUR[Event(facts["event"])],
                "wrap": True,
            },
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in details(facts)],
            },
            {
                "type": "TextBlock",
                "text": footer(rule_name, facts),
                "size": "Small",
                "isSubtle": True,
                "wrap": True,
            },
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
