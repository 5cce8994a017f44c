"""Slack and Teams payloads as their incoming webhooks document them: checked with Slack's
own Block Kit models and against the official Adaptive Card schema, as actually posted to
a local receiver."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import pytest
from jsonschema import Draft6Validator
from slack_sdk.models.blocks import Block

from tests.wallboard.notifications.conftest import Receiver, Wall
from wallboard.monitoring.models import Queue
from wallboard.notifications.models import Channel
from wallboard.notifications.sender import send_due

pytestmark = pytest.mark.django_db

ADAPTIVE_CARD_1_2 = json.loads(
    files("adaptive_cards").joinpath("schemas/schema-1.2.json").read_text(encoding="utf-8")
)


def posted(wall: Wall, receiver: Receiver, channel: str, calls: int = 5) -> dict[str, Any]:
    wall.rule(channel, url=receiver.url)
    wall.waiting(calls, at_s=0)
    send_due()
    (call,) = receiver.requests
    assert call.headers["Content-Type"] == "application/json"
    assert "X-Wallboard-Signature" not in call.headers  # Slack and Teams do not check one
    body: dict[str, Any] = json.loads(call.body)
    return body


def assert_slack_message(body: dict[str, Any]) -> None:
    assert set(body) == {"text", "blocks"}
    assert isinstance(body["text"], str)
    assert body["text"]
    for raw in body["blocks"]:
        block = Block.parse(raw)
        assert block is not None, raw  # a block type Slack knows
        block.validate_json()  # Slack's limits: raises SlackObjectFormationError
        assert block.to_dict() == raw


def test_slack_gets_text_and_valid_blocks(wall: Wall, receiver: Receiver) -> None:
    body = posted(wall, receiver, Channel.SLACK)
    assert_slack_message(body)
    assert body["text"] == "Alarm: Support (Main)"
    header, section, context = body["blocks"]
    assert header["text"]["text"] == "Alarm: Support (Main)"
    assert "*Calls waiting*\n5" in [f["text"] for f in section["fields"]]
    assert "Support wall" in context["elements"][0]["text"]


def test_slack_markup_in_provider_names_is_escaped(wall: Wall, receiver: Receiver) -> None:
    Queue.objects.filter(pk=wall.queue.pk).update(name="<!channel> Sales & <http://x|Support>")
    body = posted(wall, receiver, Channel.SLACK)
    assert_slack_message(body)
    mrkdwn = [body["text"], *(f["text"] for f in body["blocks"][1]["fields"])]
    mrkdwn.append(body["blocks"][2]["elements"][0]["text"])
    assert "&lt;!channel&gt; Sales &amp; &lt;http://x|Support&gt;" in body["text"]
    assert not any("<" in text or ">" in text for text in mrkdwn)


def test_a_long_name_still_fits_slacks_header(wall: Wall, receiver: Receiver) -> None:
    Queue.objects.filter(pk=wall.queue.pk).update(name="Reklamace " * 19)
    body = posted(wall, receiver, Channel.SLACK)
    assert_slack_message(body)
    assert len(body["blocks"][0]["text"]["text"]) == 150


def test_teams_gets_an_adaptive_card_message(wall: Wall, receiver: Receiver) -> None:
    body = posted(wall, receiver, Channel.TEAMS, calls=3)
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.2")
    errors = [e.message for e in Draft6Validator(ADAPTIVE_CARD_1_2).iter_errors(card)]
    assert errors == []
    title, facts, footer = card["body"]
    assert (title["text"], title["color"]) == ("Warning: Support (Main)", "Warning")
    assert {"title": "Calls waiting", "value": "3"} in facts["facts"]
    assert "Support wall" in footer["text"]


def test_the_schema_check_catches_a_malformed_card() -> None:
    card = {"type": "AdaptiveCard", "version": "1.2", "body": [{"type": "FactSet"}]}
    assert list(Draft6Validator(ADAPTIVE_CARD_1_2).iter_errors(card))


def test_messages_speak_the_rules_language(wall: Wall, receiver: Receiver) -> None:
    wall.rule(Channel.SLACK, url=receiver.url, language="pl")
    wall.rule(Channel.TEAMS, url=receiver.url, language="cs")
    wall.waiting(5, at_s=0)
    send_due()
    polish, czech = (json.loads(r.body) for r in receiver.requests)
    assert "Oczekujące połączenia" in json.dumps(polish, ensure_ascii=False)
    assert "Čekající hovory" in json.dumps(czech, ensure_ascii=False)
