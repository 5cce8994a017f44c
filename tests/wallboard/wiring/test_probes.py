"""/healthz, /readyz and /metrics as probes and scrapers reach them: by address, over plain
HTTP, without a session; readiness names what is down and recovers by itself; the token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import AsyncClient, Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Sim, make_account
from tools.processes import free_port
from wallboard.monitoring import heartbeat
from wallboard.monitoring.models import ProviderAccount

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# A probe asks by address; a production site accepts only its own name, over HTTPS.
PROBE = {"HTTP_HOST": "10.1.2.3:8000"}
PRODUCTION = {"ALLOWED_HOSTS": ["wallboard.example.com"], "SECURE_SSL_REDIRECT": True}


def test_healthz_answers_by_address_over_http_and_touches_nothing(
    settings: Any, django_assert_num_queries: Any
) -> None:
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    with django_assert_num_queries(0):
        response = Client().get("/healthz", **PROBE)
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert "sessionid" not in response.cookies
    # The rest of the site still refuses the address and redirects to HTTPS.
    assert Client().get("/login/", **PROBE).status_code == 400


async def test_healthz_on_the_async_stack_answers_without_a_thread(settings: Any) -> None:
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    response = await AsyncClient().get("/healthz", **PROBE)
    assert response.status_code == 200


def test_probes_answer_get_only() -> None:
    response = Client().post("/readyz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_readyz_reports_the_dependencies_the_heartbeat_and_the_oldest_overdue_poll(
    daktela_sim: Sim, settings: Any
) -> None:
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    late = make_account(daktela_sim, name="late")
    make_account(daktela_sim, name="later")
    now = timezone.now()
    ProviderAccount.objects.filter(pk=late.pk).update(next_poll_at=now - timedelta(seconds=40))
    ProviderAccount.objects.exclude(pk=late.pk).update(next_poll_at=now - timedelta(seconds=5))
    heartbeat.cache.delete(heartbeat.KEY)
    heartbeat._stamped_at = -heartbeat.EVERY_S
    heartbeat.stamp()

    response = Client().get("/readyz", **PROBE)

    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["unavailable"] == []
    assert set(body["checks"]) == {"database", "redis"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["scheduler"]["kind"] == "celery beat"
    assert 0 <= body["scheduler"]["age_s"] < 5
    overdue = body["oldest_overdue_poll"]
    assert overdue["account"] == late.pk
    assert overdue["overdue_s"] >= 40
    assert overdue["accounts_due"] == 2


def test_readyz_names_redis_when_it_is_down_and_recovers_by_itself(settings: Any) -> None:
    working = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    down = Client().get("/readyz")

    assert down.status_code == 503
    body = down.json()
    assert body["ready"] is False
    assert body["unavailable"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    # No address, port or password of any dependency in the body.
    assert "127.0.0.1" not in down.content.decode()

    settings.REDIS_URL = working
    assert Client().get("/readyz").status_code == 200


def _families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_metrics_need_the_token_when_one_is_set(settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-token"
    assert Client().get("/metrics", **PROBE).status_code == 401
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-tokeX", **PROBE)
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    basic = Client().get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token", **PROBE)
    assert basic.status_code == 401
    right = Client().get("/metrics", HTTP_AUTHORIZATION="bearer s3cret-token", **PROBE)
    assert right.status_code == 200


def test_metrics_speak_prometheus_and_every_name_is_ours(settings: Any) -> None:
    settings.METRICS_TOKEN = None
    response = Client().get("/metrics", **PROBE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = _families(response.content.decode())
    assert "wallboard_dependency_up" in families
    assert all(name.startswith("wallboard_") for name in families)

    openmetrics = Client().get(
        "/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0", **PROBE
    )
    assert openmetrics["Content-Type"].startswith("application/openmetrics-text")
    assert openmetrics.content.rstrip().endswith(b"# EOF")
