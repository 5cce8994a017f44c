"""The demo's set-up: one simulated account per vendor, polled, and the three demo users."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from providers.simulators import SIMULATORS
from tools.processes import Process, free_port, manage_command
from wallboard.accounts.models import AgentLink, Profile
from wallboard.monitoring.models import Agent, AgentStatusSpan, ProviderAccount, QueueSample
from wallboard.wiring.management.commands.demo import Command

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_demo_sets_up_every_vendor_and_the_demo_users() -> None:
    command = Command(stdout=io.StringIO())
    servers = command._simulators(
        {"agents": 6, "queues": 2, "seed": 7, "load": "busy", "history_days": 1}
    )
    try:
        command._users()
        assert sorted(ProviderAccount.objects.values_list("vendor", flat=True)) == sorted(
            SIMULATORS
        )
        assert not ProviderAccount.objects.filter(stale=True).exists()
        assert Agent.objects.values("account").distinct().count() == len(SIMULATORS)
        users = get_user_model().objects
        assert users.get(username="admin").is_superuser
        assert Profile.objects.get(user__username="supervisor").accounts.count() == len(SIMULATORS)
        assert AgentLink.objects.filter(user__username="agent1").exists()
        assert users.get(username="agent1").check_password("demo")
        # The reports have a day behind them before the first screen opens.
        for account in ProviderAccount.objects.all():
            yesterday = timezone.now() - timedelta(hours=12)
            spans = AgentStatusSpan.objects.filter(agent__account=account, started_at__lt=yesterday)
            assert spans.count() > Agent.objects.filter(account=account).count()
            samples = QueueSample.objects.filter(queue__account=account, taken_at__lt=yesterday)
            assert samples.exists()
    finally:
        for server in servers:
            server.stop()


def _demo_env(tmp_path: Path) -> dict[str, str]:
    """The embedded mode as a new user runs it: no DATABASE_URL, no REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="wallboard.settings", SQLITE_PATH=str(tmp_path / "demo.db"))
    return env


@pytest.mark.django_db(transaction=False)
def test_the_demo_counts_sign_ins_by_the_real_address_not_a_forwarded_one(
    tmp_path: Path,
) -> None:
    """Nothing stands in front of the demo: a client that claims another address in
    X-Forwarded-For on every attempt must still be locked out after five wrong passwords."""
    port = free_port()
    demo = Process(
        "demo",
        manage_command(
            "demo", "--port", str(port), "--agents", "4", "--queues", "1", "--history-days", "0"
        ),
        _demo_env(tmp_path),
        tmp_path / "demo.log",
    ).start()
    try:
        demo.wait_for_port(port, timeout_s=120)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            statuses = []
            for attempt in range(7):
                form = client.get("/login/")
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
                assert token is not None, form.text[:500]
                reply = client.post(
                    "/login/",
                    data={
                        "username": "supervisor",
                        "password": "wrong",
                        "csrfmiddlewaretoken": token.group(1),
                    },
                    headers={"X-Forwarded-For": f"198.51.100.{attempt + 1}", "Referer": base},
                )
                statuses.append(reply.status_code)
        assert statuses[-1] == 429, (statuses, demo.log_tail(20))
    finally:
        demo.stop()
