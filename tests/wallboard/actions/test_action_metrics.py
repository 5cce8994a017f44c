"""wallboard_actions_total counts every action by vendor, action and the status the person
got, whatever the outcome; an action name no one knows is counted as ``unknown``, so a
caller cannot make up label values."""

from __future__ import annotations

import pytest
from django.test import Client

from providers.model import AgentStatus
from tests.conftest import Sim, make_account, make_user
from wallboard import metrics
from wallboard.monitoring.models import ActiveCall, Agent
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _count(action: str, status: int) -> float:
    labels = {"vendor": "daktela", "action": action, "status": str(status)}
    return metrics.REGISTRY.get_sample_value("wallboard_actions_total", labels) or 0.0


def test_done_refused_forbidden_and_unknown_actions_are_counted(daktela_sim: Sim) -> None:
    account = make_account(daktela_sim)
    daktela_sim.advance(90)
    assert poll(account).ok
    boss, viewer = Client(), Client()
    boss.force_login(make_user("boss", "admin", accounts=(account,)))
    viewer.force_login(make_user("tv", "viewer", accounts=(account,)))
    idle = next(a.login for a in daktela_sim.engine.truth().agents if a.status is AgentStatus.IDLE)
    talking = next(
        a.login for a in daktela_sim.engine.truth().agents if a.status is AgentStatus.TALKING
    )
    agent = Agent.objects.get(account=account, login=idle)
    call = ActiveCall.objects.get(account=account, agent__login=talking)
    before = {
        key: _count(*key)
        for key in [("agent_logout", 200), ("queue_logout", 409), ("agent_logout", 403)]
    }
    unknown = _count("unknown", 404)

    url = f"/actions/{account.pk}"
    assert boss.post(f"{url}/agent_logout/", {"agent": agent.pk}).status_code == 200
    refused = boss.post(f"{url}/queue_logout/", {"agent": call.agent_id, "queue": call.queue_id})
    assert refused.status_code == 409
    assert viewer.post(f"{url}/agent_logout/", {"agent": agent.pk}).status_code == 403
    assert boss.post(f"{url}/no_such_action_{account.pk}/", {}).status_code == 404

    for key, count in before.items():
        assert _count(*key) == count + 1, key
    assert _count("unknown", 404) == unknown + 1
    assert _count(f"no_such_action_{account.pk}", 404) == 0
