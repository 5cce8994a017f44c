"""A known simulated day (seeded simulator, manual clock, polled every second): the CSV
exports and the page agree with what the simulator really did."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings as SettingsWrapper

from providers.model import AgentStatus
from tests.conftest import Sim, make_account
from tests.wallboard.reports.conftest import DAY_START, Run, run_polls
from wallboard.monitoring.models import ProviderAccount, Queue
from wallboard.reports.compute import CATEGORY_OF
from wallboard.reports.days import day_bounds

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

POLLS = 120
DAY = "2026-03-10"
CATEGORY_COLUMNS = ["ready", "ringing", "talking", "wrap_up", "paused", "other"]


def _expected_agents(run: Run, account: ProviderAccount) -> list[list[str]]:
    """Seconds per category from the simulator's own truth, second by second."""
    day_start, day_end = day_bounds(account, DAY_START.date())
    first, last = run.truths[0], run.truths[-1]
    t0, t_end = first.taken_at, last.taken_at
    seconds: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[str, int]] = {}
    calls: dict[str, int] = {}

    def add(agent_id: str, status: AgentStatus, reason: str | None, n: int) -> None:
        category = CATEGORY_OF.get(status.value)
        if category is None or n <= 0:
            return
        seconds.setdefault(agent_id, {})
        seconds[agent_id][category] = seconds[agent_id].get(category, 0) + n
        if category == "paused":
            by_reason = reasons.setdefault(agent_id, {})
            by_reason[reason or ""] = by_reason.get(reason or "", 0) + n

    for agent in first.agents:
        since = max(agent.status_since or t0, day_start)
        add(agent.id, agent.status, agent.pause_reason, int((t0 - since).total_seconds()))
        if agent.status is AgentStatus.TALKING and (agent.status_since or t0) >= day_start:
            calls[agent.id] = 1
    for before, after in itertools.pairwise(run.truths):
        step = int((after.taken_at - before.taken_at).total_seconds())
        previous = {a.id: a.status for a in before.agents}
        for agent in before.agents:
            add(agent.id, agent.status, agent.pause_reason, step)
        for agent in after.agents:
            if agent.status is AgentStatus.TALKING and previous.get(agent.id) not in (
                AgentStatus.TALKING,
                AgentStatus.ON_HOLD,
            ):
                calls[agent.id] = calls.get(agent.id, 0) + 1
    for agent in last.agents:  # open spans hold until the end of a past day
        add(agent.id, agent.status, agent.pause_reason, int((day_end - t_end).total_seconds()))

    all_reasons = sorted({r for by in reasons.values() for r in by})
    rows = []
    for agent in sorted(last.agents, key=lambda a: (a.name, a.id)):
        totals = seconds.get(agent.id, {})
        if not totals:
            continue
        rows.append(
            [
                agent.id,
                agent.login,
                agent.name,
                str(sum(totals.values())),
                *[str(totals.get(c, 0)) for c in CATEGORY_COLUMNS],
                *[str(reasons.get(agent.id, {}).get(r, 0)) for r in all_reasons],
                str(calls.get(agent.id, 0)),
            ]
        )
    header = [
        "agent_id",
        "login",
        "name",
        "logged_in_s",
        *[f"{c}_s" for c in CATEGORY_COLUMNS],
        *[f"paused_s:{r}" for r in all_reasons],
        "calls_seen",
    ]
    return [header, *rows]


@pytest.fixture
def known_day(
    past_sim: Callable[..., Sim], settings: SettingsWrapper
) -> tuple[Sim, ProviderAccount, Run]:
    settings.HISTORY_RETENTION_DAYS = 3650  # the simulated day is long past
    sim = past_sim()
    account = make_account(sim)
    run = run_polls(sim, account, polls=POLLS, every_s=1)
    return sim, account, run


@pytest.fixture
def client_in() -> Client:
    user = User.objects.create_superuser("reporter", password="pw")
    client = Client()
    client.force_login(user)
    return client


def _csv(client: Client, account: ProviderAccount, name: str) -> list[list[str]]:
    response = client.get(f"/reports/{account.pk}/{name}.csv", {"day": DAY})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_exports_and_page_of_a_known_simulated_day(
    known_day: tuple[Sim, ProviderAccount, Run], client_in: Client
) -> None:
    _sim, account, run = known_day
    agents = _csv(client_in, account, "agents")
    assert agents == _expected_agents(run, account)
    assert len(agents) > 5
    assert sum(int(row[-1]) for row in agents[1:]) > 10  # calls were handled

    # Totals add up to the logged-in time, and each agent's day is at most the day.
    for row in agents[1:]:
        parts = [int(v) for v in row[4:10]]
        assert sum(parts) == int(row[3])
        assert int(row[8]) == sum(int(v) for v in row[10:-1])
        assert int(row[3]) <= 24 * 3600

    queues = _csv(client_in, account, "queues")
    assert queues[0] == [
        "queue_id",
        "queue_name",
        "taken_at",
        "calls_waiting",
        "longest_wait_s",
        "agents_ready",
        "agents_busy",
        "agents_paused",
        "service_level_pct",
        "answered",
        "abandoned",
    ]
    truth_at = {t.taken_at: {q.id: q for q in t.queues} for t in run.truths}
    spacing = timedelta(seconds=django_settings.QUEUE_SAMPLE_MIN_SPACING_S)
    for row in queues[1:]:
        taken_at = datetime.fromisoformat(row[2])
        assert taken_at.utcoffset() == timedelta(hours=1)  # Prague in March
        figures = (int(row[3]), int(row[5]), int(row[6]), int(row[7]))
        # A sample holds the figures its window ended with: some poll within the spacing.
        seen = [
            (q.calls_waiting, q.agents_ready, q.agents_busy, q.agents_paused)
            for t, by_id in truth_at.items()
            if taken_at <= t < taken_at + spacing
            for q in [by_id[row[0]]]
        ]
        assert figures in seen, (row, seen)
        assert row[8:] == ["", "", ""]  # Daktela reports no SL or counters
    last = run.truths[-1]
    for queue in last.queues:
        newest = [r for r in queues[1:] if r[0] == queue.id][-1]
        assert (int(newest[3]), int(newest[5]), int(newest[6]), int(newest[7])) == (
            queue.calls_waiting,
            queue.agents_ready,
            queue.agents_busy,
            queue.agents_paused,
        )
    assert {r[1] for r in queues[1:]} == {q.name for q in Queue.objects.filter(account=account)}

    # The page shows the same day.
    response = client_in.get(f"/reports/{account.pk}/", {"day": DAY})
    assert response.status_code == 200
    html = response.content.decode()
    logged_in = [a for a in run.truths[-1].agents if a.status is not AgentStatus.OFFLINE]
    for agent in logged_in:
        assert f">{agent.name}</th>" in html
    assert html.count('<svg class="timeline"') == len(logged_in)
    assert 'id="report-chart-data"' in html
    assert "vendor/uplot.iife.min.js" in html
    assert 'value="2026-03-10"' in html


def test_reports_need_a_login_and_a_day_in_retention(client_in: Client) -> None:
    account = ProviderAccount.objects.create(
        name="Main", vendor="daktela", base_url="http://127.0.0.1:9"
    )
    anonymous = Client()
    for path in ("/reports/", f"/reports/{account.pk}/", f"/reports/{account.pk}/agents.csv"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    assert client_in.get("/reports/").status_code == 302
    too_old = client_in.get(f"/reports/{account.pk}/agents.csv", {"day": "2001-01-01"})
    assert too_old.status_code == 400
    garbage = client_in.get(f"/reports/{account.pk}/", {"day": "yesterday"})
    assert garbage.status_code == 200
    assert "That is not a date." in garbage.content.decode()
