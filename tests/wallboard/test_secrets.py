"""Provider passwords, API keys and PINs never appear in a page, an API reply, a log line or
an error message."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from providers.registry import split_settings
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer
from providers.voipsun.simulator import VoipsunSimulator, agent_credentials
from providers.voipsun.simulator import account_settings as voipsun_settings
from tests.conftest import make_account, make_user
from wallboard.actions.service import perform
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.pipeline import poll

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
    assert poll(good).ok
    Agent.objects.filter(account=good).update(vendor_number="77")
    for agent in Agent.objects.filter(account=good):
        agent.pin = PIN
        agent.save()
    wrong = make_account(sim, name="wrong")
    wrong.secrets = {**wrong.secrets, secret_field: SECRET}
    wrong.save()
    with caplog.at_level(logging.DEBUG):
        result = poll(wrong)
    assert not result.ok
    texts = [result.error or "", ProviderAccount.objects.get(pk=wrong.pk).last_error]
    texts += [r.getMessage() for r in caplog.records]
    texts += _everything_shown(good) + _everything_shown(wrong)
    for text in texts:
        assert SECRET not in text
        assert PIN not in text


def test_a_poll_and_an_action_log_no_credential_even_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the installation's logging at its most verbose (LOG_LEVEL=DEBUG), a working poll
    and an action that sends an agent's PIN to VoIPSUN log neither the API password nor a PIN.
    (The API takes both in the query string: httpx, which logs URLs, stays at WARNING.)"""
    assert settings.LOGGING["loggers"]["httpx"]["level"] == "WARNING"
    engine = CallCenter(
        SimConfig(agents=12, queues=3, seed=3),
        ManualClock(datetime(2026, 11, 22, 8, 0, tzinfo=UTC)),
    )
    with SimulatorServer(VoipsunSimulator(engine, password=SECRET)) as server:
        options, secrets = split_settings("voipsun", voipsun_settings(engine, password=SECRET))
        account = ProviderAccount.objects.create(
            name="v", vendor="voipsun", base_url=server.url, options=options, secrets=secrets
        )
        pins = [pin for _, pin in agent_credentials(engine).values()]
        with caplog.at_level(logging.DEBUG):
            assert poll(account).ok
            agent = Agent.objects.filter(account=account, status="IDLE").first()
            assert agent is not None
            reason = account.pause_reasons.exclude(type="wrap").first()
            user = make_user("boss", "admin", accounts=(account,))
            data = {"agent": str(agent.pk), "reason": str(reason.pk) if reason else ""}
            outcome = perform(user, account, "pause", data)
            assert outcome.ok, outcome.message
    logged = [r.getMessage() for r in caplog.records]
    assert logged  # the poll and the action did log
    for text in logged:
        assert SECRET not in text
        assert "agentPin" not in text
        assert not any(f"={pin}" in text for pin in pins)
