"""The command-line contract (DESIGN §9) against a simulator over real HTTP."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import Sim
from wallboard.monitoring.models import ProviderAccount

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_add_account_poll_dump_state_match_the_simulator(daktela_sim: Sim) -> None:
    account_id = _run(
        "add_account",
        "--provider",
        "daktela",
        "--name",
        "Main",
        "--base-url",
        daktela_sim.server.url,
        "--login",
        "demo",
        "--password",
        "demo",
        "--interval",
        "3",
    ).strip()
    assert account_id.isdigit()
    account = ProviderAccount.objects.get(pk=int(account_id))
    assert account.poll_interval_s == 3
    assert account.secrets == {"password": "demo"}

    _run("poll", "--account", account_id, "--once")
    state = json.loads(_run("dump_state", "--account", account_id))

    truth = daktela_sim.engine.truth()
    assert state["account"]["provider"] == "daktela"
    assert state["account"]["stale"] is False
    assert state["account"]["error"] is None
    assert [q["id"] for q in state["queues"]] == sorted(q.id for q in truth.queues)
    by_id = {a.id: a for a in truth.agents}
    for agent in state["agents"]:
        assert agent["status"] == by_id[agent["id"]].status.value
        assert agent["name"] == by_id[agent["id"]].name
    waiting = {q.id: q.calls_waiting for q in truth.queues}
    assert {q["id"]: q["calls_waiting"] for q in state["queues"]} == waiting
    assert len(state["waiting_calls"]) == len(truth.waiting_calls)


def test_add_account_refuses_flags_of_another_vendor(daktela_sim: Sim) -> None:
    with pytest.raises(CommandError, match="--api-key"):
        _run(
            "add_account",
            "--provider",
            "daktela",
            "--name",
            "X",
            "--base-url",
            daktela_sim.server.url,
            "--login",
            "demo",
            "--password",
            "demo",
            "--api-key",
            "k",
        )


def test_add_account_requires_the_vendors_credentials(daktela_sim: Sim) -> None:
    with pytest.raises(CommandError, match="--password is required"):
        _run(
            "add_account",
            "--provider",
            "daktela",
            "--name",
            "X",
            "--base-url",
            daktela_sim.server.url,
            "--login",
            "demo",
        )


def test_poll_once_reports_a_failure_clearly(daktela_sim: Sim) -> None:
    account_id = _run(
        "add_account",
        "--provider",
        "daktela",
        "--name",
        "Main",
        "--base-url",
        daktela_sim.server.url,
        "--login",
        "demo",
        "--password",
        "nope",
    ).strip()
    with pytest.raises(CommandError) as err:
        _run("poll", "--account", account_id, "--once")
    assert "nope" not in str(err.value)
    state = json.loads(_run("dump_state", "--account", account_id))
    assert state["account"]["stale"] is True
    assert state["account"]["error"]
