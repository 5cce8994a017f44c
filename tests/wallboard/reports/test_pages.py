"""The page lists the logged-in agents in pages; the CSV has them all."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings as SettingsWrapper

from wallboard.monitoring.models import Agent, AgentStatusSpan, ProviderAccount
from wallboard.reports.days import day_bounds
from wallboard.reports.queries import build_report

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 20)


def _account() -> ProviderAccount:
    account = ProviderAccount.objects.create(
        name="Main", vendor="daktela", base_url="http://127.0.0.1:9"
    )
    start, _ = day_bounds(account, DAY)
    for i, status in enumerate(["IDLE", "PAUSED", "TALKING", "OFFLINE"]):
        agent = Agent.objects.create(account=account, vendor_id=str(i), name=f"Agent {i}")
        AgentStatusSpan.objects.create(
            agent=agent,
            status=status,
            pause_reason="Lunch" if status == "PAUSED" else "",
            started_at=start + timedelta(hours=8),
            ended_at=start + timedelta(hours=9),
        )
    return account


def test_pages_of_logged_in_agents() -> None:
    account = _account()
    now = datetime.fromisoformat("2026-11-22T08:00:00+00:00")
    second = build_report(account, DAY, now, page=2, per_page=2)
    assert (second.page, second.pages, second.logged_in_count) == (2, 2, 3)
    assert [a.agent.name for a in second.agents] == ["Agent 2"]
    assert second.not_logged_in == 1
    everyone = build_report(account, DAY, now)
    assert [a.agent.name for a in everyone.agents] == ["Agent 0", "Agent 1", "Agent 2"]
    assert [a.logged_in_s for a in everyone.agents] == [3600] * 3
    assert everyone.pause_reasons == ["Lunch"]


def test_the_csv_is_not_paged(settings: SettingsWrapper) -> None:
    settings.HISTORY_RETENTION_DAYS = 36500  # DAY stays reportable whenever this runs
    account = _account()
    client = Client()
    client.force_login(User.objects.create_superuser("reporter", password="pw"))
    response = client.get(f"/reports/{account.pk}/agents.csv", {"day": DAY.isoformat()})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [r[2] for r in rows[1:]] == ["Agent 0", "Agent 1", "Agent 2"]
    assert rows[0][-2:] == ["paused_s:Lunch", "calls_seen"]
    assert rows[2][3:] == ["3600", "0", "0", "0", "0", "3600", "0", "3600", "0"]
    page = client.get(f"/reports/{account.pk}/", {"day": DAY.isoformat(), "page": "9"})
    assert page.status_code == 200
