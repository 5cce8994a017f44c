"""The Daktela simulator over real HTTP: auth, envelopes, read shapes, actions, long-poll."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from defusedxml import ElementTree

from providers.daktela.simulator import DaktelaSimulator
from providers.model import AgentStatus
from providers.sim.engine import CallCenter, ManualClock, SimConfig
from providers.sim.server import SimulatorServer

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # 09:00 in Prague
TOKEN = hashlib.sha1(b"demodemo").hexdigest()  # noqa: S324 - Daktela's documented token


@dataclass
class Sim:
    engine: CallCenter
    clock: ManualClock
    server: SimulatorServer
    client: httpx.Client

    def get(self, action: str, version: str = "4.1", fmt: str = "json", **params: Any) -> Any:
        reply = self.raw(action, version, fmt, **params)
        assert reply.status_code == 200
        return reply.json()

    def raw(
        self, action: str, version: str = "4.1", fmt: str = "json", **params: Any
    ) -> httpx.Response:
        params.setdefault("access_token", TOKEN)
        return self.client.get(f"/api/{version}/{action}/{fmt}", params=params)

    def ok(self, action: str, **params: Any) -> Any:
        body = self.get(action, **params)
        assert body["status"] == 1, body
        assert body["error"] is None
        return body.get("result")

    def login_of(self, agent_id: str) -> str:
        return self.engine.agents[agent_id].login

    def ready(self, agent_id: str, queue_id: str = "1") -> None:
        self.engine.login(agent_id)
        self.engine.login_queue(agent_id, queue_id)
        self.engine.set_status(agent_id, AgentStatus.IDLE)

    def talking(self, agent_id: str = "1", queue_id: str = "1") -> str:
        for other in self.engine.agents:
            self.engine.set_status(other, AgentStatus.PAUSED, "4")
        self.ready(agent_id, queue_id)
        call_id = self.engine.add_waiting_call(queue_id, "468008585", "Karel")
        self.clock.advance(1 + self.engine.config.ring_s)
        assert self.engine.truth().active_calls[0].state is AgentStatus.TALKING
        return call_id


@pytest.fixture
def sim() -> Iterator[Sim]:
    clock = ManualClock(START)
    engine = CallCenter(
        SimConfig(
            agents=6, queues=3, calls_per_min_per_queue=0, pause_rate_per_hour=0, patience_s=10_000
        ),
        clock,
    )
    app = DaktelaSimulator(engine, long_poll_s=2.0, long_poll_slice_s=0.05)
    with SimulatorServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield Sim(engine, clock, server, client)


# ---------------------------------------------------------------- auth and envelope


def test_wrong_token_is_the_documented_error(sim: Sim) -> None:
    body = sim.get("GetQueues", access_token="0" * 40)
    assert body == {"error": "Uživatel neexistuje", "status": 0}
    assert sim.get("GetQueues", access_token="") == body


def test_token_from_cookie(sim: Sim) -> None:
    reply = sim.client.get("/api/4.1/GetQueues/json", headers={"Cookie": f"access_token={TOKEN}"})
    assert reply.json()["status"] == 1


def test_post_form_accepted(sim: Sim) -> None:
    reply = sim.client.post("/api/4.1/GetPauses/json", data={"access_token": TOKEN})
    assert reply.json()["status"] == 1


def test_envelope_escapes_like_php(sim: Sim) -> None:
    text = sim.raw("GetQueues").text
    assert text.startswith('{"status":1,"error":null,"result":')
    assert '"contact_url\\":\\"http:\\\\\\/\\\\\\/\\"' in text  # PHP's escaped slashes


def test_unknown_action_is_a_czech_error(sim: Sim) -> None:
    body = sim.get("NoSuchThing")
    assert body["status"] == 0
    assert "NoSuchThing" in body["error"]


def test_unknown_url_is_404(sim: Sim) -> None:
    assert sim.client.get("/nothing").status_code == 404


def test_xml_format(sim: Sim) -> None:
    reply = sim.raw("RTStatsQueues", fmt="xml")
    assert reply.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "response"
    assert root.findtext("status") == "1"
    items = root.find("result").findall("item")  # type: ignore[union-attr]
    assert [item.get("key") for item in items] == ["1", "2", "3"]
    assert items[0].findtext("id") == "1"


# ---------------------------------------------------------------- reads


def test_get_queues_all_and_by_id(sim: Sim) -> None:
    queues = sim.ok("GetQueues")
    assert list(queues) == ["1", "2", "3"]
    support = queues["1"]
    assert (support["queue"], support["name"], support["title"]) == ("1", "2000", "Support")
    assert isinstance(support["options"], str)
    assert json.loads(support["options"])["wrapuptime"] == "10"
    assert sim.ok("GetQueues/2")["title"] == "Sales"
    assert sim.get("GetQueues/99")["status"] == 0


def test_get_users(sim: Sim) -> None:
    users = sim.ok("GetUsers")
    assert set(users) == {"1", "2", "3", "4", "5", "6"}
    assert users["1"]["name"] == sim.login_of("1")
    assert users["1"]["user"] == "1"
    assert sim.ok("GetUsers/3")["user"] == "3"
    assert sim.ok("GetUsers", extension="501")["user"] == "2"


def test_get_pauses_new_shape(sim: Sim) -> None:
    pauses = sim.ok("GetPauses", version="3.3")
    assert pauses["2"] == {
        "pause": "2",
        "name": "20",
        "title": "Wrap",
        "type": "wrap",
        "paid": "1",
        "deleted": "0",
    }
    assert pauses["7"]["title"] == "Lunch"


def test_get_pauses_old_shape(sim: Sim) -> None:
    pauses = sim.ok("GetPauses", version="3.0")
    assert pauses["2"]["pcode_id"] == "2"
    assert pauses["2"]["pcode_desc"] == "Wrap"
    assert pauses["2"]["pauseType"] == "w"
    assert pauses["4"]["pauseType"] == "-"
    assert list(sim.ok("GetPauses/3", version="3.0")) == ["3"]


def test_rt_stats_queues_and_summary(sim: Sim) -> None:
    for agent_id in sim.engine.agents:
        sim.engine.set_status(agent_id, AgentStatus.PAUSED, "4")
    stats = sim.ok("RTStatsQueues")
    assert stats["1"]["calls_time"] is None
    assert stats["1"]["calls_wait"] == 0
    sim.engine.add_waiting_call("1", "226211245")
    sim.clock.advance(12)
    stats = sim.ok("RTStatsQueues")
    truth = {q.id: q for q in sim.engine.truth().queues}
    assert stats["1"]["calls_wait"] == 1
    assert stats["1"]["calls_time"] == 12
    for queue_id, row in stats.items():
        assert row["id"] == queue_id
        assert row["users_total"] == truth[queue_id].agents_total
        assert row["users_pause"] == truth[queue_id].agents_paused
    summary = sim.ok("RTStatsQueuesSummary", **{"queues[0]": "1"})
    assert summary["calls_wait"] == 1
    assert summary["calls_time"] == 12
    assert summary["users_total"] == truth["1"].agents_total


def test_rt_users_state(sim: Sim) -> None:
    call_id = sim.talking("1")
    sim.engine.set_status("6", AgentStatus.OFFLINE)
    users = sim.ok("RTUsersState")
    assert "6" not in users
    row = users["1"]
    assert row["agent_name"] == sim.login_of("1")
    assert row["agent_state"] == "Speaking"
    assert row["exten"] == "500"
    (call,) = row["calls"]
    assert call["id_call"] == call_id
    assert call["clid"] == "468008585"
    assert call["call_state"] == "Speaking"
    assert call["entered"] == "2026-11-22 09:00:00"
    oqueue = next(q for q in row["login_oqueues"] if q["queue"] == "1")
    assert oqueue["rt_logged"] is True
    assert isinstance(oqueue["options"], dict)
    assert users["2"]["agent_state"] == "Paused"
    assert users["2"]["id_pause"] == "4"


def test_rt_stats_calls_waiting_and_speaking(sim: Sim) -> None:
    speaking = sim.talking("1")
    waiting = sim.engine.add_waiting_call("2", "226211245")
    calls = sim.ok("RTStatsCalls")
    assert calls[waiting]["state"] == "Waiting"
    assert calls[waiting]["agent"] is None
    assert calls[waiting]["users"] == []
    assert calls[speaking]["state"] == "Speaking"
    assert calls[speaking]["agent"] == "1"
    assert calls[speaking]["wait_time_relative"] == "5"  # entered -> answered (1 s + 4 s ring)


def test_rt_stats_pauses_and_sessions(sim: Sim) -> None:
    sim.ready("1")
    sim.engine.pause("1", "7")
    pauses = sim.ok("RTStatsPauses")
    assert "1" in pauses["7"]["users"]
    assert pauses["7"]["count"] == str(len(pauses["7"]["users"]))
    sessions = sim.ok("RTStatsSessions")
    assert sessions["1"]["state"] == "Paused"
    assert sessions["1"]["pause"] == "7"
    assert "1" in sessions["1"]["queues"]
    assert list(sim.ok("RTStatsSessions", **{"users[]": "1"})) == ["1"]


def test_device_states(sim: Sim) -> None:
    sim.ready("1")
    sim.engine.set_device("1", False)
    devices = {d["exten"]: d for d in sim.ok("DeviceStates")}
    assert devices["500"] == {"exten": "500", "status": "UNAVAILABLE", "ip": "-none-", "port": "0"}
    assert devices["501"]["status"] in {"AVAILABLE", "INUSE", "RINGING", "ONHOLD"}


# ---------------------------------------------------------------- actions


def state_of(sim: Sim, agent_id: str) -> dict[str, Any]:
    return sim.ok("RTUserState", user=sim.login_of(agent_id))  # type: ignore[no-any-return]


def test_pause_on_and_off(sim: Sim) -> None:
    sim.ready("1")
    body = sim.get("PauseOn", user=sim.login_of("1"), pause="7")
    assert body == {"error": None, "status": 1}
    assert state_of(sim, "1")["agent_state"] == "Paused"
    assert state_of(sim, "1")["id_pause"] == "7"
    assert sim.get("PauseOff", user=sim.login_of("1")) == {"error": None, "status": 1}
    assert state_of(sim, "1")["agent_state"] == "Idle"


def test_pause_on_unknown_pause(sim: Sim) -> None:
    body = sim.get("PauseOn", user=sim.login_of("1"), pause="100")
    assert body == {"error": "Tato pauza nebyla nalezena", "status": 0}


def test_pause_on_during_call_needs_force(sim: Sim) -> None:
    sim.talking("1")
    assert sim.get("PauseOn", user=sim.login_of("1"), pause="7")["status"] == 0
    assert sim.get("PauseOn", user=sim.login_of("1"), pause="7", force="yes")["status"] == 1
    assert state_of(sim, "1")["agent_state"] == "Paused"


def test_unknown_user(sim: Sim) -> None:
    body = sim.get("PauseOff", user="nobody")
    assert body["status"] == 0
    assert body["error"]


def test_login_queue_and_logout_queue(sim: Sim) -> None:
    sim.ready("1")
    login = sim.login_of("1")
    assert sim.get("LoginQueue", user=login, queue="2002", priority="2") == {
        "error": None,
        "status": 1,
    }
    oqueue = next(q for q in state_of(sim, "1")["login_oqueues"] if q["queue"] == "3")
    assert (oqueue["rt_logged"], oqueue["penalty"]) == (True, "2")
    assert sim.get("LogoutQueue", user=login, queue="2002")["status"] == 1
    oqueue = next(q for q in state_of(sim, "1")["login_oqueues"] if q["queue"] == "3")
    assert oqueue["rt_logged"] is False
    assert sim.get("LoginQueue", user=login, queue="2002", priority="5")["status"] == 0


def test_logout_queue_refused_during_call(sim: Sim) -> None:
    sim.talking("1")
    body = sim.get("LogoutQueue", user=sim.login_of("1"), queue="2000")
    assert body == {
        "error": "Nelze se odhlasit z fronty/kampaně, ve které probíhá hovor s číslem 468008585",
        "status": 0,
    }
    assert "kampan\\u011b" in sim.raw("LogoutQueue", user=sim.login_of("1"), queue="2000").text


def test_login_and_logout(sim: Sim) -> None:
    sim.ready("1")
    login = sim.login_of("1")
    assert sim.get("Logout", user=login) == {"status": 1, "error": None, "result": None}
    assert "1" not in sim.ok("RTUsersState")
    assert sim.get("Login", user=login, extension="100")["status"] == 1
    assert sim.ok("RTUsersState")["1"]["exten"] == "100"


def test_hangup_by_user_and_by_call(sim: Sim) -> None:
    call_id = sim.talking("1")
    assert sim.get("Hangup", user=sim.login_of("1")) == {"error": None, "status": 1}
    assert call_id not in sim.ok("RTStatsCalls")
    waiting = sim.engine.add_waiting_call("2", "226211245")
    assert sim.get("Hangup", call=waiting)["status"] == 1
    assert sim.ok("RTStatsCalls") == {}
    assert sim.get("Hangup", call="1.1")["status"] == 0


def test_transfer_to_queue(sim: Sim) -> None:
    call_id = sim.talking("1")
    body = sim.get("Transfer", user=sim.login_of("1"), type="blind", dst_queue="2")
    assert body == {"error": None, "status": 1}
    call = sim.ok("RTStatsCalls")[call_id]
    assert (call["queue"], call["state"]) == ("2", "Waiting")


def test_transfer_to_number(sim: Sim) -> None:
    call_id = sim.talking("1")
    assert sim.get("Transfer", user=sim.login_of("1"), number="800123456")["status"] == 1
    assert call_id not in sim.ok("RTStatsCalls")


def test_monitoring(sim: Sim) -> None:
    assert sim.get("Monitoring", user=sim.login_of("1"), listener="200", mode="spy")["status"] == 0
    sim.talking("1")
    result = sim.ok("Monitoring", user=sim.login_of("1"), listener="200", mode="barge")
    assert result["calling_number"] == "468008585"
    assert result["calling_queue"] == "2000"
    assert result["calling_direction"] == "in"
    assert sim.engine.monitors["1"].mode == "barge"


def test_pickup_from_queue(sim: Sim) -> None:
    for agent_id in sim.engine.agents:
        sim.engine.set_status(agent_id, AgentStatus.PAUSED, "4")
    call_id = sim.engine.add_waiting_call("1", "226211245")
    sim.engine.set_status("2", AgentStatus.LOGGED_IN)
    body = sim.get("PickupFromQueue", user=sim.login_of("2"), call_id=call_id)
    assert body == {"status": 1, "error": None, "result": []}
    assert sim.ok("RTStatsCalls")[call_id]["agent"] == "2"


def test_create_call(sim: Sim) -> None:
    sim.ready("1")
    body = sim.get("CreateCall", user=sim.login_of("1"), number="800123456")
    assert body["status"] == 1
    call_id = body["result"]["id_call"]
    assert state_of(sim, "1")["agent_state"] == "Calling"
    assert sim.ok("RTStatsCalls")[call_id]["direction"] == "out"
    sim.engine.set_status("2", AgentStatus.OFFLINE)
    body = sim.get("CreateCall", user=sim.login_of("2"), number="800123456")
    assert body == {"error": "Agent není přihlášen do odchozí kampaně/fronty", "status": 0}


# ---------------------------------------------------------------- long-poll


def test_rt_user_state_hash_returns_at_once_when_different(sim: Sim) -> None:
    sim.ready("1")
    first = state_of(sim, "1")
    assert len(first["hash"]) == 40
    assert state_of(sim, "1")["hash"] == first["hash"]
    again = sim.ok("RTUserState", user=sim.login_of("1"), hash="0" * 40)
    assert again["hash"] == first["hash"]


def test_rt_user_state_long_poll_returns_early_on_change(sim: Sim) -> None:
    sim.ready("1")
    current = state_of(sim, "1")["hash"]
    timer = threading.Timer(0.3, lambda: sim.engine.pause("1", "6"))
    timer.start()
    began = time.monotonic()
    result = sim.ok("RTUserState", user=sim.login_of("1"), hash=current)
    elapsed = time.monotonic() - began
    timer.join()
    assert result["agent_state"] == "Paused"
    assert result["hash"] != current
    assert elapsed < 1.9  # the cap is 2 s: it came back because the state changed


def test_rt_user_state_long_poll_gives_up_after_the_cap(sim: Sim) -> None:
    sim.ready("1")
    current = state_of(sim, "1")["hash"]
    result = sim.ok("RTUserState", user=sim.login_of("1"), hash=current)
    assert result["hash"] == current


# ---------------------------------------------------------------- hostile text


def test_hostile_names_survive_json_and_xml() -> None:
    engine = CallCenter(SimConfig(agents=3, queues=1, names="hostile"), ManualClock(START))
    with SimulatorServer(DaktelaSimulator(engine)) as server:
        params = {"access_token": TOKEN}
        users = httpx.get(f"{server.url}/api/4.1/GetUsers/json", params=params).json()
        xml = httpx.get(f"{server.url}/api/4.1/GetUsers/xml", params=params).content
    names = {row["title"] for row in users["result"].values()}
    assert names == {a.name for a in engine.agents.values()}
    assert any("<" in name for name in names)
    root = ElementTree.fromstring(xml)
    assert {item.findtext("title") for item in root.iter("item")} == names
