"""schemathesis against the live app: a real uvicorn on the test database, a simulator's
call center with history and an audit log, a token for an admin and one for a supervisor
scoped to one queue. Every operation, positive and negative cases (the supervisor's:
positive, see ``MODES``): no 5xx, and every status, content type and body as the OpenAPI
document says.

Real ids come from dictionaries most of the time (so the 200 answers are exercised, not
only 404s), generated ones otherwise.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import Servers
from tests.wallboard.api.conftest import CallCenter
from wallboard.accounts.access import Scope
from wallboard.actions.models import AuditEntry
from wallboard.api.api import api
from wallboard.monitoring.models import Agent, Queue
from wallboard.reports.days import day_of
from wallboard.wiring.pipeline import poll

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CHECKS = [
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
]
EXAMPLES_PER_OPERATION = 25
# Each role's cases. Negative cases break the schema, so django-ninja refuses them with a 400
# once the token is accepted and before any view asks the caller's scope: the scoped
# supervisor's would repeat the admin's requests and answers (about 500 of them). Its
# positive cases reach the views, where its scope decides between 200 and 404.
MODES = {"admin": "all", "scoped": "positive"}
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def _config(center: CallCenter, role: str) -> str:
    """schemathesis.toml: the ids and days this person may or may not see."""
    scope = Scope.of(center.people[role].user)
    today = day_of(center.account, timezone.now())
    values = {
        "accounts": [center.account.pk, center.other.pk],
        "queues": list(Queue.objects.values_list("pk", flat=True)),
        "agents": list(Agent.objects.values_list("pk", flat=True)),
        "days": [(today - timedelta(days=n)).isoformat() for n in range(3)],
    }
    assert scope.account_ids
    bindings = {
        "path.account_id": "accounts",
        "query.account": "accounts",
        "path.queue_id": "queues",
        "query.queue": "queues",
        "path.agent_id": "agents",
        "query.agent": "agents",
        "query.day": "days",
    }
    lines = []
    for name, entries in values.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(entries)}", ""]
    lines.append("[parameters]")
    lines += [
        f'"{key}" = {{ dictionary = "{name}", probability = 0.8 }}'
        for key, name in bindings.items()
    ]
    return "\n".join(lines) + "\n"


def _history_and_audit(center: CallCenter) -> None:
    for _ in range(5):
        center.sim.advance(20)
        assert poll(center.account).ok
    admin = center.people["admin"].browser
    reason = center.account.pause_reasons.exclude(type="wrap").first()
    assert reason is not None
    for login in ("novak", "marek", "zeman"):
        data: dict[str, Any] = {"agent": center.agent(login).pk, "reason": reason.pk}
        admin.post(f"/actions/{center.account.pk}/pause/", data)  # done or refused: logged
    assert AuditEntry.objects.count() == 3


@pytest.fixture
def live(center: CallCenter) -> Any:
    _history_and_audit(center)
    servers = Servers()
    yield servers()
    servers.stop_all()


def _schemathesis(center: CallCenter, live: str, role: str, folder: Path) -> list[str]:
    """The command line of one role's run, its configuration and report in ``folder``."""
    folder.mkdir()
    config = folder / "schemathesis.toml"
    config.write_text(_config(center, role))
    return [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{live}/api/v1/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--mode",
        MODES[role],
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        "13",
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {center.people[role].token}",
        "--report",
        "junit",
        "--report-junit-path",
        str(folder / "report.xml"),
        "--warnings",
        "off",
        "--no-color",
    ]


def test_every_operation_answers_as_its_openapi_document_says(
    center: CallCenter, live: str, tmp_path: Path
) -> None:
    # Both roles at once, against the one server their call center was set up for.
    runs = {}
    with contextlib.ExitStack() as stack:
        for role in MODES:
            output = stack.enter_context((tmp_path / f"{role}.log").open("w"))
            folder = tmp_path / role
            argv = _schemathesis(center, live, role, folder)
            runs[role] = subprocess.Popen(argv, cwd=folder, stdout=output, stderr=subprocess.STDOUT)
            stack.callback(runs[role].kill)  # if the other one failed to start or ran over
        for run in runs.values():
            run.wait(timeout=240)
    for role, run in runs.items():
        assert run.returncode == 0, f"{role}:\n{(tmp_path / f'{role}.log').read_text()[-8000:]}"
        tested = (tmp_path / role / "report.xml").read_text()
        for path in api.get_openapi_schema()["paths"]:
            assert f"GET {path}" in tested, f"schemathesis did not test GET {path} as {role}"
