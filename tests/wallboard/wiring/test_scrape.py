"""What /metrics says after real polls of a simulator: polls by result and their duration
(counted by the commit hook), vendor errors by kind, and what the database holds read at
scrape time: data age, staleness, overdue polls, the levels the boards show."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Sim, make_account
from wallboard import metrics
from wallboard.dashboards.models import Board, Level
from wallboard.monitoring import heartbeat
from wallboard.monitoring.models import ProviderAccount
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def _scrape() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = Client().get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _at(metric: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return metric, frozenset(labels.items())


def test_polls_are_counted_by_result_with_their_duration(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    labels = {"account": str(account.pk), "vendor": "daktela"}
    before = _value("wallboard_poll_duration_seconds_count", vendor="daktela")
    pushes = _value("wallboard_push_latency_seconds_count")

    assert poll(account).ok
    assert poll(account).ok

    assert _value("wallboard_polls_total", result="ok", **labels) == 2
    assert _value("wallboard_polls_total", result="failed", **labels) == 0
    assert _value("wallboard_poll_duration_seconds_count", vendor="daktela") == before + 2
    # The first poll stored the whole call center, so it was pushed and its push timed; the
    # second changed nothing (the simulator's clock stood still): only a heartbeat.
    assert _value("wallboard_push_latency_seconds_count") == pushes + 1


def test_a_failed_poll_counts_its_kind_and_the_board_shows_the_stale_alarm(
    daktela_sim: Sim,
) -> None:
    account = make_account(daktela_sim, secrets={"password": "wrong"})
    board = Board.objects.create(name="wall")
    board.accounts.set([account])
    labels = {"account": str(account.pk), "vendor": "daktela"}

    assert not poll(account).ok

    assert _value("wallboard_polls_total", result="failed", **labels) == 1
    assert _value("wallboard_vendor_errors_total", kind="auth", **labels) == 1
    scraped = _scrape()
    assert scraped[_at("wallboard_account_stale", **labels)] == 1
    level = _at("wallboard_alert_level", board=str(board.pk), account=str(account.pk), queue="")
    assert scraped[level] == Level.ALARM
    assert scraped[_at("wallboard_board_info", board=str(board.pk), name="wall")] == 1


def test_data_age_and_overdue_polls_are_read_from_the_database(daktela_sim: Sim) -> None:
    fresh = make_account(daktela_sim, name="fresh")
    behind = make_account(daktela_sim, name="behind")
    assert poll(fresh).ok
    now = timezone.now()
    ProviderAccount.objects.filter(pk=behind.pk).update(
        last_success_at=now - timedelta(seconds=120), next_poll_at=now - timedelta(seconds=30)
    )
    # Its next poll well ahead: on a loaded machine the scrape may come after its interval.
    ProviderAccount.objects.filter(pk=fresh.pk).update(
        last_success_at=now, next_poll_at=now + timedelta(seconds=60)
    )

    scraped = _scrape()

    def at(metric: str, account: ProviderAccount) -> float:
        return scraped[_at(metric, account=str(account.pk), vendor="daktela")]

    assert 120 <= at("wallboard_data_age_seconds", behind) < 150
    assert at("wallboard_data_age_seconds", fresh) < 30
    assert 30 <= at("wallboard_poll_overdue_seconds", behind) < 60
    assert at("wallboard_poll_overdue_seconds", fresh) == 0
    assert at("wallboard_account_stale", fresh) == 0
    info = _at("wallboard_account_info", account=str(fresh.pk), vendor="daktela", name="fresh")
    assert scraped[info] == 1
    assert scraped[_at("wallboard_dependency_up", dependency="database")] == 1
    assert scraped[_at("wallboard_dependency_up", dependency="redis")] == 1


def test_a_disabled_account_is_not_reported(daktela_sim: Sim, settings: Any) -> None:
    account = make_account(daktela_sim, enabled=False)
    scraped = _scrape()
    assert not any(dict(labels).get("account") == str(account.pk) for _, labels in scraped)


DASHBOARD = Path(settings.BASE_DIR) / "docs" / "grafana-dashboard.json"


def test_the_grafana_dashboard_asks_only_for_what_metrics_answers(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    Board.objects.create(name="wall").accounts.set([account])
    assert poll(account).ok
    heartbeat._stamped_at = -heartbeat.EVERY_S
    heartbeat.stamp()
    response = Client().get("/metrics")
    exported = {family.name for family in text_string_to_metric_families(response.content.decode())}

    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    asked = {
        re.sub(r"_(bucket|sum|count|total)$", "", name)
        for expr in exprs
        for name in re.findall(r"\bwallboard_\w+", expr)
    }
    assert asked <= exported, asked - exported
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    assert dashboard["schemaVersion"] >= 38  # Grafana 10
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert all(p["datasource"]["uid"] == "${datasource}" for p in panels)
