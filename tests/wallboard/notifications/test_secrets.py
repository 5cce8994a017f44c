"""A rule's URL and signing secret are rotated to a new FIELD_ENCRYPTION_KEY with the
provider credentials; the rules form survives any text."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wallboard.monitoring.test_crypto import NEW_KEY, OLD_KEY, _keys, _raw
from tests.wallboard.notifications.conftest import Wall
from wallboard.notifications.forms import RuleForm
from wallboard.notifications.models import Channel, Rule

pytestmark = pytest.mark.django_db


def test_rotation_moves_the_rules_secrets_to_the_new_key(wall: Wall) -> None:
    with _keys(OLD_KEY):
        wall.account.save()  # everything under the old key, as before a rotation
        wall.rule(Channel.WEBHOOK, url="https://tickets.example.com/h", secret="s" * 20)
        wall.rule(Channel.EMAIL)  # no URL, no secret: stays ""
    out = StringIO()
    with _keys(NEW_KEY, OLD_KEY):
        call_command("rotate_encryption_key", stdout=out)
    assert "notifications.Rule.url: 1 re-encrypted" in out.getvalue()
    assert "notifications.Rule.secret: 1 re-encrypted" in out.getvalue()
    with _keys(NEW_KEY):
        webhook = Rule.objects.get(channel=Channel.WEBHOOK)
        assert (webhook.url, webhook.secret) == ("https://tickets.example.com/h", "s" * 20)
    old = Fernet(OLD_KEY.encode())
    for token in _raw("notifications_rule", "url") + _raw("notifications_rule", "secret"):
        if token:
            with pytest.raises(InvalidToken):
                old.decrypt(token.encode())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    channel=st.sampled_from([*Channel.values, "", "sms"]),
    url=st.text(max_size=300),
    recipients=st.text(max_size=300),
    secret=st.text(max_size=40),
    queues=st.text(max_size=10),
)
def test_any_input_is_saved_or_refused_with_a_message(
    wall: Wall, channel: str, url: str, recipients: str, secret: str, queues: str
) -> None:
    data = {
        "name": "Fuzzed",
        "channel": channel,
        "url": url,
        "recipients": recipients,
        "secret": secret,
        "queues": queues,
        "on_alarm": "on",
        "language": "en",
    }
    form = RuleForm(data, instance=Rule(board=wall.board), board=wall.board)
    if form.is_valid():
        rule = form.save()
        assert rule.channel in Channel.values
        rule.delete()
    else:
        assert all(messages for messages in form.errors.values())
