"""fetch_snapshot: the five endpoints merged into one Snapshot, and partial failures."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import httpx
import pytest

from providers.daktela.adapter import CONFIG_REFRESH, DaktelaProvider
from providers.errors import ProviderBadResponseError, ProviderUnavailableError
from providers.model import AgentStatus, Endpoint
from providers.sim.engine import ManualClock
from tests.providers.daktela.fake_daktela import (
    NOW,
    TOKEN,
    DaktelaReplies,
    all_queues_reply,
    load,
    make_config,
    make_provider,
)


def test_requests_follow_the_manual_url_form() -> None:
    replies = DaktelaReplies()
    make_provider(replies).fetch_snapshot()
    paths = [r.url.path for r in replies.requests]
    assert paths == [
        "/api/4.1/GetQueues/json",
        "/api/4.1/RTStatsQueues/json",
        "/api/4.1/GetPauses/json",
        "/api/4.1/RTUsersState/json",
        "/api/4.1/RTStatsCalls/json",
        "/api/4.1/DeviceStates/json",
    ]
    assert all(r.url.params["access_token"] == TOKEN for r in replies.requests)
    assert all(r.url.host == "mojevu.daktela.com" for r in replies.requests)


def _asked(replies: DaktelaReplies) -> list[str]:
    asked = [replies.action(r)[0] for r in replies.requests]
    replies.requests.clear()
    return asked


LIVE = ["RTStatsQueues", "RTUsersState", "RTStatsCalls", "DeviceStates"]


def _provider_on(replies: DaktelaReplies, clock: ManualClock) -> DaktelaProvider:
    client = httpx.Client(transport=httpx.MockTransport(replies))
    return DaktelaProvider(make_config(), client=client, clock=clock.now)


def test_the_configuration_is_read_once_a_minute_not_on_every_poll() -> None:
    replies, clock = DaktelaReplies(), ManualClock(NOW)
    provider = _provider_on(replies, clock)
    first = provider.fetch_snapshot()
    assert _asked(replies) == ["GetQueues", "RTStatsQueues", "GetPauses", *LIVE[1:]]
    clock.advance(CONFIG_REFRESH.total_seconds() - 1)
    again = provider.fetch_snapshot()
    assert _asked(replies) == LIVE
    assert again.queues == first.queues
    assert again.pause_reasons == first.pause_reasons
    clock.advance(1)
    provider.fetch_snapshot()
    assert _asked(replies) == ["GetQueues", "RTStatsQueues", "GetPauses", *LIVE[1:]]


def test_a_queue_or_a_pause_the_live_replies_name_first_is_read_at_once() -> None:
    queues = json.loads(all_queues_reply())
    pauses = json.loads(load("GetPauses_3.3.json"))
    added_queue, added_pause = queues["result"].pop("6"), pauses["result"].pop("2")
    replies = DaktelaReplies(
        overrides={
            "GetQueues": json.dumps(queues).encode(),
            "GetPauses": json.dumps(pauses).encode(),
        }
    )
    provider = make_provider(replies)
    assert "6" not in {q.id for q in provider.fetch_snapshot().queues}
    provider.fetch_snapshot()
    assert _asked(replies)[-4:] == LIVE, "named by RTStatsQueues, not by GetQueues: asked once"

    queues["result"]["6"] = added_queue
    pauses["result"]["2"] = added_pause
    replies.overrides["GetQueues"] = json.dumps(queues).encode()
    replies.overrides["GetPauses"] = json.dumps(pauses).encode()
    users = json.loads(load("RTUsersState_4.1.json"))
    users["result"]["1"].update(agent_state="Paused", id_pause="2", exten="100")
    replies.overrides["RTUsersState"] = json.dumps(users).encode()
    # The queue is known, so it is not asked about; the new pause is.
    snapshot = provider.fetch_snapshot()
    assert _asked(replies) == ["RTStatsQueues", "RTUsersState", "GetPauses", *LIVE[2:]]
    assert snapshot.agents[0].status is AgentStatus.WRAP_UP, "told from a break at once"

    stats = json.loads(load("RTStatsQueues_3.5.json"))
    stats["result"]["9"] = {**stats["result"]["6"], "id": "9"}
    replies.overrides["RTStatsQueues"] = json.dumps(stats).encode()
    provider.fetch_snapshot()
    assert _asked(replies)[:2] == ["RTStatsQueues", "GetQueues"], "queue 9 is new"


def test_queue_metrics_names_and_numbers() -> None:
    snapshot = make_provider(DaktelaReplies()).fetch_snapshot()
    queues = {q.id: q for q in snapshot.queues}
    assert (queues["4"].number, queues["4"].name) == ("2002", "ODCHOZI")
    assert (queues["4"].agents_total, queues["4"].agents_busy, queues["4"].calls_waiting) == (
        1,
        1,
        0,
    )
    # calls_time is null for queue 4 and nobody waits: longest wait 0
    assert queues["4"].longest_wait_s == 0
    assert queues["3"].calls_waiting is None  # no RTStatsQueues entry: shown as a dash
    assert snapshot.taken_at == NOW


def test_longest_wait_falls_back_to_the_waiting_calls() -> None:
    stats = json.loads(load("RTStatsQueues_3.5.json"))
    stats["result"]["6"].update(calls_wait=1, calls_time=None)
    calls = json.loads(load("RTStatsCalls_3.5.json"))
    calls["result"]["1332333840.98"].update(state="Waiting", wait_time_relative="48")
    replies = DaktelaReplies(
        overrides={
            "RTStatsQueues": json.dumps(stats).encode(),
            "RTStatsCalls": json.dumps(calls).encode(),
        }
    )
    snapshot = make_provider(replies).fetch_snapshot()
    queue = next(q for q in snapshot.queues if q.id == "6")
    assert (queue.calls_waiting, queue.longest_wait_s) == (1, 48)
    [waiting] = snapshot.waiting_calls
    assert (waiting.queue_id, waiting.position, waiting.caller, waiting.wait_s) == (
        "6",
        1,
        "100",
        48,
    )


def test_agents_memberships_pauses_and_phone_state() -> None:
    snapshot = make_provider(DaktelaReplies()).fetch_snapshot()
    [agent] = snapshot.agents
    # Idle, but DeviceStates says extension 500 is UNAVAILABLE
    assert (agent.status, agent.raw_status) == (AgentStatus.UNAVAILABLE, "Idle (phone UNAVAILABLE)")
    assert [(m.queue_id, m.logged_in) for m in snapshot.memberships] == [
        ("1", False),
        ("3", False),
        ("4", True),
    ]
    assert len(snapshot.pause_reasons) == 7
    assert [c.call_id for c in snapshot.active_calls] == ["1332333840.98"]


def test_wrap_up_and_pause_reason_in_the_snapshot() -> None:
    users = json.loads(load("RTUsersState_4.1.json"))
    users["result"]["1"].update(agent_state="Paused", id_pause="2", exten="100")
    replies = DaktelaReplies(overrides={"RTUsersState": json.dumps(users).encode()})
    [agent] = make_provider(replies).fetch_snapshot().agents
    assert (agent.status, agent.pause_reason) == (AgentStatus.WRAP_UP, "Wrap")


def test_device_states_failure_costs_nothing_else() -> None:
    replies = DaktelaReplies(overrides={"DeviceStates": httpx.Response(500)})
    snapshot = make_provider(replies).fetch_snapshot()
    assert not snapshot.failed
    assert snapshot.agents[0].status is AgentStatus.IDLE


@pytest.mark.parametrize(
    ("action", "endpoint"),
    [
        ("GetQueues", Endpoint.QUEUES),
        ("RTStatsQueues", Endpoint.QUEUES),
        ("GetPauses", Endpoint.PAUSES),
        ("RTUsersState", Endpoint.AGENTS),
        ("RTStatsCalls", Endpoint.CALLS),
    ],
)
def test_one_failed_endpoint_marks_only_its_part(action: str, endpoint: Endpoint) -> None:
    replies = DaktelaReplies(overrides={action: httpx.Response(502)})
    snapshot = make_provider(replies).fetch_snapshot()
    assert snapshot.failed == {endpoint}
    assert len(snapshot.errors) == 1
    assert "502" in snapshot.errors[0]
    assert bool(snapshot.agents) == (endpoint is not Endpoint.AGENTS)
    assert bool(snapshot.queues) == (endpoint is not Endpoint.QUEUES)


def test_pause_types_are_remembered_when_getpauses_fails() -> None:
    users = json.loads(load("RTUsersState_4.1.json"))
    users["result"]["1"].update(agent_state="Paused", id_pause="2", exten="100")
    replies = DaktelaReplies(overrides={"RTUsersState": json.dumps(users).encode()})
    clock = ManualClock(NOW)
    provider = _provider_on(replies, clock)
    provider.fetch_snapshot()
    clock.advance(CONFIG_REFRESH.total_seconds())  # read again, and failing
    replies.overrides["GetPauses"] = httpx.Response(503)
    snapshot = provider.fetch_snapshot()
    assert snapshot.failed == {Endpoint.PAUSES}
    assert snapshot.pause_reasons == ()
    assert snapshot.agents[0].status is AgentStatus.WRAP_UP


def test_every_endpoint_failing_raises() -> None:
    overrides: dict[str, bytes | httpx.Response | Exception] = dict.fromkeys(
        ("GetQueues", "RTStatsQueues", "GetPauses", "RTUsersState", "RTStatsCalls"), b"garbage"
    )
    with pytest.raises(ProviderBadResponseError):
        make_provider(DaktelaReplies(overrides=overrides)).fetch_snapshot()


def test_old_api_version_marks_agents_unsupported_without_asking() -> None:
    replies = DaktelaReplies()
    snapshot = make_provider(replies, api_version="3.9").fetch_snapshot()
    assert snapshot.failed == {Endpoint.AGENTS}
    assert "needs API version 4.1" in snapshot.errors[0]
    assert not any("RTUsersState" in r.url.path for r in replies.requests)


def test_client_is_kept_and_closed() -> None:
    provider = DaktelaProvider(make_config())
    client = provider.client
    assert provider.client is client
    provider.close()
    assert client.is_closed
    provider.close()  # idempotent


def test_unreachable_base_url_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ProviderUnavailableError):
        make_provider(handler).fetch_snapshot()


def test_time_zone_comes_from_the_account() -> None:
    config = dataclasses.replace(make_config(), time_zone="UTC")
    client = httpx.Client(transport=httpx.MockTransport(DaktelaReplies()))
    provider = DaktelaProvider(config, client=client, clock=lambda: NOW)
    [agent] = provider.fetch_snapshot().agents
    assert agent.status_since == datetime(2016, 9, 26, 15, 37, 9, tzinfo=UTC)
