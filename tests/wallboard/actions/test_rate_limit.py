"""Actions are rate limited per user: over the limit the supervisor reads why, and nothing
is sent to the vendor. The counters are shared by every process (Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from providers.model import AgentStatus
from tests.conftest import Sim, make_account, make_user
from tests.wallboard.accounts.limits import forget_rate_limits
from wallboard.actions.models import AuditEntry
from wallboard.monitoring.models import Agent, ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    forget_rate_limits()
    yield
    forget_rate_limits()


@pytest.fixture
def account(daktela_sim: Sim) -> ProviderAccount:
    account = make_account(daktela_sim)
    daktela_sim.advance(90)
    assert poll(account).ok
    return account


def _supervisor(name: str, account: ProviderAccount) -> Client:
    client = Client()
    client.force_login(make_user(name, "supervisor", accounts=(account,)))
    return client


def _idle_agent(sim: Sim, account: ProviderAccount) -> Agent:
    login = next(a.login for a in sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    return Agent.objects.get(account=account, login=login)


def _pause(client: Client, account: ProviderAccount, agent: Agent, **headers: str) -> Any:
    reason = account.pause_reasons.exclude(type="wrap").first()
    assert reason is not None
    return client.post(
        f"/actions/{account.pk}/pause/", {"agent": agent.pk, "reason": reason.pk}, headers=headers
    )


# Per day: a window boundary inside the test would reset the count.
@override_settings(ACTION_RATE_LIMIT="2/d")
def test_over_the_limit_the_vendor_is_not_called(
    daktela_sim: Sim, account: ProviderAccount
) -> None:
    boss = _supervisor("boss", account)
    agent = _idle_agent(daktela_sim, account)
    unpause = f"/actions/{account.pk}/unpause/"
    assert boss.post(unpause, {"agent": agent.pk}).status_code == 200
    assert boss.post(unpause, {"agent": agent.pk}).status_code == 200
    requests_before = daktela_sim.server.total_requests
    audited_before = AuditEntry.objects.count()

    refused = _pause(boss, account, agent, HX_Request="true")
    assert refused.status_code == 429
    text = refused.content.decode()
    assert 'class="feedback error"' in text
    assert "Too many actions in a short time: nothing was sent. Try again in" in text
    assert daktela_sim.server.total_requests == requests_before
    assert AuditEntry.objects.count() == audited_before
    poll(account)
    agent.refresh_from_db()
    assert agent.status == "IDLE"
    # The limit is per person: a colleague still acts.
    assert _pause(_supervisor("colleague", account), account, agent).status_code == 200


@override_settings(ACTION_RATE_LIMIT="2/d")
def test_the_count_is_shared_by_every_web_process(
    daktela_sim: Sim, account: ProviderAccount
) -> None:
    boss = _supervisor("boss", account)
    user_pk = boss.session["_auth_user_id"]
    # Another process (as another web process would) spends the user's two actions.
    script = (
        "import django; django.setup()\n"
        "from types import SimpleNamespace\n"
        "from django.test import RequestFactory\n"
        "from django_ratelimit.core import get_usage\n"
        "request = RequestFactory().post('/')\n"
        f"request.user = SimpleNamespace(pk={user_pk})\n"
        "for _ in range(2):\n"
        "    get_usage(request, group='actions', key='user', rate='2/d', increment=True)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, env=env, timeout=60)
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert _pause(boss, account, _idle_agent(daktela_sim, account)).status_code == 429
