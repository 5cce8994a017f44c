"""Bad input to every action of ``ACTIONS``, for every vendor that has the action: a 400
naming what is wrong, nothing sent to the vendor (the simulator counts every request) and
nothing stored changed. Unknown ids in URLs are a 404, equally silent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings

from providers.registry import provider_class
from tests.conftest import Sim, make_account, make_user
from tests.wallboard.reliability.conftest import stored
from wallboard.actions.models import AuditEntry
from wallboard.actions.specs import ACTIONS
from wallboard.monitoring.models import ActiveCall, Agent, ProviderAccount, Queue
from wallboard.wiring.pipeline import poll

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db,
    # Each case is one request; the per-user action limit is not what these tests are about.
    pytest.mark.usefixtures("no_action_limit"),
]


@pytest.fixture
def no_action_limit() -> Any:
    with override_settings(ACTION_RATE_LIMIT="10000/m"):
        yield


# What to send instead of a valid value (None leaves the field out), and a word of the
# message that must come back.
Case = tuple[dict[str, str | None], str]
AGENT_CASES: list[Case] = [
    ({"agent": None}, "required"),
    ({"agent": "999999"}, "valid choice"),
    ({"agent": "abc"}, "valid choice"),
    ({"agent": "other"}, "valid choice"),  # an agent of another account
]
QUEUE_CASES: list[Case] = [
    ({"queue": None}, "required"),
    ({"queue": "999999"}, "valid choice"),
    ({"queue": "1; DROP TABLE"}, "valid choice"),
    ({"queue": "other"}, "valid choice"),
]
CALL_CASES: list[Case] = [
    ({"call": None}, "required"),
    ({"call": "999999"}, "valid choice"),
    ({"call": "other"}, "valid choice"),
]
NUMBER_CASES: list[Case] = [
    ({"number": "80012345a"}, "phone number"),
    ({"number": "1" * 200}, "at most"),
    ({"number": "123\n456"}, "phone number"),
    ({"number": "١٢٣٤"}, "phone number"),  # Arabic-Indic digits
    ({"number": "<script>"}, "phone number"),
]
CASES: dict[str, list[Case]] = {
    "pause": [*AGENT_CASES, ({"reason": "999999"}, "valid choice")],
    "unpause": AGENT_CASES,
    "listen": [*AGENT_CASES, ({"mode": "shout"}, "valid choice"), ({"mode": None}, "required")],
    "transfer": [
        *CALL_CASES,
        *NUMBER_CASES,
        ({"number": None}, "exactly one target"),
        ({"queue": "first"}, "exactly one target"),
        ({"number": None, "queue": "first", "user": "first"}, "exactly one target"),
        ({"kind": "sideways"}, "valid choice"),
        ({"number": None, "queue": "999999"}, "valid choice"),
    ],
    "hangup": CALL_CASES,
    "queue_login": [
        *AGENT_CASES,
        *QUEUE_CASES,
        ({"penalty": "-1"}, "penalty from"),
        ({"penalty": "100000"}, "penalty from"),
        ({"penalty": "x"}, "whole number"),
        ({"penalty": "1.5"}, "whole number"),
        ({"penalty": "9" * 50}, "penalty from"),
    ],
    "queue_logout": [*AGENT_CASES, *QUEUE_CASES],
    "agent_login": [
        *AGENT_CASES,
        ({"extension": "12a"}, "phone number"),
        ({"extension": "5" * 200}, "at most"),
    ],
    "agent_logout": AGENT_CASES,
    "set_default_campaign": [*AGENT_CASES, *QUEUE_CASES],
    "originate": [*AGENT_CASES, *NUMBER_CASES, ({"number": None}, "required")],
}


def test_every_action_has_bad_input_cases() -> None:
    assert set(CASES) == set(ACTIONS)


class Console:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.account = make_account(sim)
        sim.advance(90)
        assert poll(self.account).ok
        self.provider = provider_class(sim.vendor)(self.account.config())
        self.client = Client()
        self.client.force_login(
            make_user("boss", "admin", accounts=(self.account,), extension="600")
        )
        other = ProviderAccount.objects.create(
            name="other", vendor=sim.vendor, base_url="http://127.0.0.1:9"
        )
        self.others = {
            "agent": Agent.objects.create(
                account=other, vendor_id="1", login="x", name="x", status="IDLE"
            ),
            "queue": Queue.objects.create(account=other, vendor_id="1", name="x"),
            "call": ActiveCall.objects.create(
                account=other, call_id="c1", number="123", state="TALKING"
            ),
        }

    def valid(self, action: str) -> dict[str, str]:
        """A submission of ``action`` that passes the form."""
        agents = Agent.objects.filter(account=self.account).order_by("pk")
        queue = Queue.objects.filter(account=self.account).order_by("pk").first()
        call = ActiveCall.objects.filter(account=self.account).exclude(agent=None).first()
        assert queue is not None
        reason = self.account.pause_reasons.order_by("pk").first()
        data = {"agent": str(agents[0].pk), "queue": str(queue.pk)}
        if call is not None:
            data["call"] = str(call.pk)
        data |= {
            "pause": {"reason": str(reason.pk)} if reason else {},
            "listen": {"mode": self.provider.listen_modes[0].value},
            "transfer": {"kind": "blind", "number": "123", "queue": ""},
            "queue_login": {"penalty": str(self.provider.penalty_range[0])},
            "originate": {"number": "+420800123456"},
        }.get(action, {})
        return data

    def submit(self, action: str, changes: dict[str, str | None]) -> tuple[int, str]:
        data: dict[str, Any] = self.valid(action)
        for name, value in changes.items():
            if value is None:
                data.pop(name, None)
            elif value == "other":
                data[name] = str(self.others[name].pk)
            elif value == "first":
                model = Queue if name == "queue" else Agent
                data[name] = str(model.objects.filter(account=self.account).first().pk)  # type: ignore[union-attr]
            else:
                data[name] = value
        response = self.client.post(f"/actions/{self.account.pk}/{action}/", data)
        return response.status_code, response.content.decode()


@pytest.mark.parametrize("vendor", ["spikon", "voipsun", "daktela"])
def test_bad_input_to_every_action_is_refused_before_the_vendor(
    start_sim: Callable[..., Sim], vendor: str
) -> None:
    console = Console(start_sim(vendor))
    server = console.sim.server
    before = stored(console.account)
    sent = server.total_requests
    tried = 0
    wrong = []
    for action, cases in CASES.items():
        spec = ACTIONS[action]
        if not console.provider.supports(spec.capability):
            status, body = console.submit(action, {})
            assert status == 400, (action, status)
            assert "does not support" in body
            continue
        for changes, message in cases:
            tried += 1
            status, body = console.submit(action, changes)
            if status != 400 or message not in body:
                wrong.append((action, changes, status, message, body[:300]))
    assert not wrong, wrong
    assert tried > 20
    assert server.total_requests == sent, "nothing reached the vendor"
    assert stored(console.account) == before
    refused = AuditEntry.objects.filter(account=console.account)
    assert refused.count() >= tried
    assert not refused.filter(ok=True).exists()


def test_unknown_ids_in_urls_are_404_and_send_nothing(start_sim: Callable[..., Sim]) -> None:
    console = Console(start_sim("daktela"))
    sent = console.sim.server.total_requests
    agent = Agent.objects.filter(account=console.account).first()
    assert agent is not None
    supervisor = Client()
    supervisor.force_login(make_user("sup", "supervisor", accounts=(console.account,)))
    for client, url, method in [
        (console.client, "/actions/999999/pause/", "post"),
        (console.client, f"/actions/{console.account.pk}/no_such_action/", "post"),
        (console.client, "/membership/?account=999999", "get"),
        (supervisor, "/console/agent/999999/", "get"),
        (supervisor, f"/console/agent/{console.others['agent'].pk}/", "get"),
        (supervisor, "/api/v1/accounts/999999/state", "get"),
        (supervisor, "/reports/999999/", "get"),
    ]:
        response = client.post(url, {"agent": agent.pk}) if method == "post" else client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    assert console.sim.server.total_requests == sent
