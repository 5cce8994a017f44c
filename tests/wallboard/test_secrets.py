"""Provider passwords, API keys and PINs never appear in a page, an API reply, a log line or
an error message."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from tests.conftest import make_account, make_user
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.monitoring.poll import poll_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SECRET = "Zz9-very-secret-Qq7"
PIN = "918273"


def _everything_shown(account: ProviderAccount) -> list[str]:
    client = Client()
    client.force_login(make_user(f"root{account.pk}", "admin", accounts=(account,)))
    admin = make_user(f"boss{account.pk}", "admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    staff = Client()
    staff.force_login(admin)
    agent = Agent.objects.filter(account=account).first()
    shown = [
        client.get("/board/").content.decode(),
        client.get("/console/").content.decode(),
        client.get(f"/api/v1/accounts/{account.pk}/state").content.decode(),
        client.get("/audit/").content.decode(),
        staff.get(f"/admin/monitoring/provideraccount/{account.pk}/change/").content.decode(),
    ]
    if agent is not None:
        shown.append(staff.get(f"/admin/monitoring/agent/{agent.pk}/change/").content.decode())
        shown.append(client.get(f"/console/agent/{agent.pk}/").content.decode())
    return shown


@pytest.mark.parametrize(
    ("vendor", "secret_field"),
    [("daktela", "password"), ("spikon", "api_key"), ("voipsun", "password")],
)
def test_a_refused_secret_appears_nowhere(
    start_sim: Any, caplog: pytest.LogCaptureFixture, vendor: str, secret_field: str
) -> None:
    sim = start_sim(vendor)
    good = make_account(sim, name="good")
    assert poll_once(good).ok
    Agent.objects.filter(account=good).update(vendor_number="77")
    for agent in Agent.objects.filter(account=good):
        agent.pin = PIN
        agent.save()
    wrong = make_account(sim, name="wrong")
    wrong.secrets = {**wrong.secrets, secret_field: SECRET}
    wrong.save()
    with caplog.at_level(logging.DEBUG):
        result = poll_once(wrong)
    assert not result.ok
    texts = [result.error or "", ProviderAccount.objects.get(pk=wrong.pk).last_error]
    texts += [r.getMessage() for r in caplog.records]
    texts += _everything_shown(good) + _everything_shown(wrong)
    for text in texts:
        assert SECRET not in text
        assert PIN not in text
