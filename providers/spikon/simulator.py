"""A SPIKON API simulator (1.0.3 or 1.3, JSON and XML) over the shared call-center engine.

``SpikonSimulator(engine, api_key="demo-key", version="1.3")`` is an ``app`` for
``providers.sim.server.SimulatorServer``. It answers the manuals' call-center URLs under
``/api/``: ``cc_campaigns/list``, ``cc_monitor/show``, ``phone_account/list``,
``call/initiate`` and, on 1.3, ``cc_agent/list``, ``cc_in_campaign/*``, ``cc_out_campaign/*``.
Requests are ``POST`` forms with ``api_key`` and ``api_format`` (0 JSON, 1 XML); 1.3 also
accepts ``GET`` with the key in the ``Spikon-API-Key`` header. Errors are the manual's
``<errors><error><id>…</id><text>…</text>[<desc>…</desc>]</error></errors>`` (JSON:
``{"errors":{"error":{"id":"-3","text":"Unknown API key"}}}``), sent with HTTP 200.

How the engine is shown:

- campaigns are the engine's queues (same ids); a campaign's members are the agents logged
  into it; ``login`` is the engine agent's login (the SIP login), ``skill`` its penalty;
- ``state``: "Wolny" (idle, or paused without a call), "Dzwoni" (ringing), "Zajęty" (on a
  call, dialing or holding), "Niedostępny" (phone unreachable); ``pause`` "Tak" for a break
  or wrap-up (SPIKON has no wrap-up of its own), else "Nie";
- ``free-members`` counts the "Wolny" lines (paused ones included, as in the manual's
  sample), ``busy-members`` the members on a call and not paused;
- ``waiting-calls`` lists the queue's callers as ``waiting-call-N`` with ``position``,
  ``number`` and ``waiting-time`` ("MM:SS") — the manuals only ever show it empty;
- one phone account per agent (``id`` = agent id, ``login`` = SIP login), ``call/initiate``
  makes the agent dial;
- outbound campaign membership and the default outbound campaign (which the engine does not
  model) are kept here, per agent.

In 1.0.3 the JSON ``waiting-calls`` sits beside ``cc-monitor``, as in that manual; the 1.3
methods answer ``-1 Unknown method``.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeAlias
from xml.sax.saxutils import escape

from ..model import AgentStatus
from ..sim.engine import BUSY, PAUSED_LIKE, CallCenter, SimAgent, SimError, SimQueue
from ..sim.server import SimRequest, SimResponse

VERSIONS: Final = ("1.0.3", "1.3")
ONLY_IN_1_3: Final = frozenset(
    {
        "cc_agent/list",
        "cc_in_campaign/add_agent",
        "cc_in_campaign/remove_agent",
        "cc_out_campaign/add_agent",
        "cc_out_campaign/remove_agent",
        "cc_out_campaign/set_default",
    }
)
ERROR_NAMES: Final[Mapping[int, str]] = {
    -1: "Unknown method",
    -2: "API key missing",
    -3: "Unknown API key",
    -4: "API turned off",
    -5: "IP address not whitelisted",
    -6: "Wrong value for parameter",
    -7: "Parameter missing",
    -8: "No elements found",
    -9: "Not ready",
    -10: "Already exist",
    -11: "Forbidden",
    -12: "Data in wrong format",
    -1000: "General failure, please contact service!",
}
MAX_NUMBER_LENGTH: Final = 25


@dataclass(frozen=True)
class Array:
    """A list: JSON ``[…]``; XML ``<tag type="array"><item>…</item>…</tag>``."""

    item_tag: str
    items: tuple[Value, ...]


Value: TypeAlias = "str | int | Array | dict[str, Value]"


class VendorError(Exception):
    """A documented SPIKON error reply."""

    def __init__(self, error_id: int, desc: str | None = None) -> None:
        super().__init__(ERROR_NAMES[error_id])
        self.error_id = error_id
        self.desc = desc


@dataclass(frozen=True)
class Reply:
    """One reply in both formats (they differ in shape for some methods)."""

    json_tree: dict[str, Value]
    xml_root: str
    xml_tree: Value


def _same(root: str, tree: Value) -> Reply:
    return Reply({root: tree}, root, tree)


def mmss(seconds: float | None) -> str:
    total = max(0, round(seconds or 0))
    return f"{total // 60:02d}:{total % 60:02d}"


def _campaign_number(queue_id: str) -> str | int:
    return int(queue_id) if queue_id.isdigit() else queue_id


# -- rendering -------------------------------------------------------------------------------


def _json_value(value: Value) -> object:
    if isinstance(value, Array):
        return [_json_value(item) for item in value.items]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


def _xml_element(tag: str, value: Value, indent: str) -> str:
    tag = tag.replace("_", "-")
    if isinstance(value, bool):
        return f"{indent}<{tag}>{int(value)}</{tag}>\n"
    if isinstance(value, int):
        return f'{indent}<{tag} type="integer">{value}</{tag}>\n'
    if isinstance(value, str):
        return f"{indent}<{tag}>{escape(value)}</{tag}>\n"
    if isinstance(value, Array):
        inner = "".join(_xml_element(value.item_tag, item, indent + "  ") for item in value.items)
        return f'{indent}<{tag} type="array">\n{inner}{indent}</{tag}>\n'
    inner = "".join(_xml_element(key, item, indent + "  ") for key, item in value.items())
    return f"{indent}<{tag}>\n{inner}{indent}</{tag}>\n"


def render(reply: Reply, api_format: int) -> SimResponse:
    if api_format == 1:
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + _xml_element(
            reply.xml_root, reply.xml_tree, ""
        )
        return SimResponse(200, body.encode("utf-8"), "application/xml")
    return SimResponse(
        200,
        json.dumps(_json_value(reply.json_tree), ensure_ascii=False).encode("utf-8"),
        "application/json",
    )


def error_reply(error_id: int, desc: str | None = None) -> Reply:
    entry: dict[str, Value] = {"id": str(error_id), "text": ERROR_NAMES[error_id]}
    if desc:
        entry["desc"] = desc
    return _same("errors", {"error": entry})


# -- the simulator ---------------------------------------------------------------------------


@dataclass
class _Outbound:
    campaigns: dict[str, None] = field(default_factory=dict)
    default: str | None = None


Handler = Callable[["SpikonSimulator", SimRequest], Reply]


class SpikonSimulator:
    """The SPIKON HTTP API over one ``CallCenter``; see the module docstring."""

    def __init__(self, engine: CallCenter, api_key: str = "demo-key", version: str = "1.3"):
        if version not in VERSIONS:
            raise ValueError(f"SPIKON API version must be one of {', '.join(VERSIONS)}")
        self.engine = engine
        self.api_key = api_key
        self.version = version
        self._outbound: dict[str, _Outbound] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ dispatch

    def __call__(self, request: SimRequest) -> SimResponse:
        if not request.path.startswith("/api/"):
            return SimResponse(404, b"Not Found", "text/plain")
        method = request.path[len("/api/") :].strip("/")
        raw_format = (request.param("api_format") or "0").strip()
        api_format = 1 if raw_format == "1" else 0
        allowed = ("POST", "GET") if self.version == "1.3" else ("POST",)
        if request.method not in allowed:
            return SimResponse(
                405, b"Method Not Allowed", "text/plain", {"Allow": ", ".join(allowed)}
            )
        try:
            if raw_format not in ("0", "1"):
                raise VendorError(-6, "api_format")
            self._authenticate(request)
            handler = HANDLERS.get(method)
            if handler is None or (method in ONLY_IN_1_3 and self.version != "1.3"):
                raise VendorError(-1)
            reply = handler(self, request)
        except VendorError as err:
            reply = error_reply(err.error_id, err.desc)
        except SimError as err:
            error_id = {"not_found": -8, "refused": -11, "invalid": -6}.get(err.kind, -1000)
            reply = error_reply(error_id, err.message)
        return render(reply, api_format)

    def _authenticate(self, request: SimRequest) -> None:
        key = request.form.get("api_key", [""])[0]
        if self.version == "1.3":
            key = request.headers.get("spikon-api-key", "") or key
            if request.method == "GET":
                key = key or request.query.get("api_key", [""])[0]
        if not key:
            raise VendorError(-2)
        if not hmac.compare_digest(key.encode("utf-8"), self.api_key.encode("utf-8")):
            raise VendorError(-3)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _param(request: SimRequest, name: str) -> str:
        value = (request.param(name) or "").strip()
        if not value:
            raise VendorError(-7, name)
        return value

    def _queue(self, request: SimRequest, name: str) -> SimQueue:
        queue_id = self._param(request, name)
        queue = self.engine.queues.get(queue_id)
        if queue is None:
            raise VendorError(-8, f"Could not find campaign with id = '{queue_id}'")
        return queue

    def _agent(self, request: SimRequest, name: str) -> SimAgent:
        agent_id = self._param(request, name)
        agent = self.engine.agents.get(agent_id)
        if agent is None:
            raise VendorError(-8, f"Could not find agent with id = '{agent_id}'")
        return agent

    def _outbound_of(self, agent_id: str) -> _Outbound:
        return self._outbound.setdefault(agent_id, _Outbound())

    # ------------------------------------------------------------------ methods

    def campaigns(self, request: SimRequest) -> Reply:
        with self.engine.locked() as cc:
            tree: dict[str, Value] = {"count": str(len(cc.queues))}
            for n, queue in enumerate(cc.queues.values(), 1):
                tree[f"cc-campaign-{n}"] = {"id": queue.id, "name": queue.name}
        return _same("cc-campaigns", tree)

    def monitor(self, request: SimRequest) -> Reply:
        with self.engine.locked() as cc:
            queue = self._queue(request, "cc_campaign_id")
            members: dict[str, Value] = {}
            free = busy = 0
            for agent_id in queue.member_ids:
                agent = cc.agents[agent_id]
                membership = cc.memberships[(agent_id, queue.id)]
                if not (agent.logged_in and membership.logged_in):
                    continue
                state = _state_text(agent)
                paused = agent.status in PAUSED_LIKE
                free += state == "Wolny"
                busy += agent.status in BUSY
                members[f"cc-campaign-member-{len(members) + 1}"] = {
                    "login": agent.login,
                    "description": agent.name,
                    "state": state,
                    "answered": "0",
                    "last-call": "Brak danych",
                    "pause": "Tak" if paused else "Nie",
                    "skill": str(membership.penalty),
                }
            waiting: dict[str, Value] = {}
            for position, call_id in enumerate(queue.waiting, 1):
                call = cc.calls[call_id]
                waiting[f"waiting-call-{position}"] = {
                    "position": str(position),
                    "number": call.caller,
                    "waiting-time": mmss(cc.waiting_seconds(call)),
                }
            if waiting:
                waiting = {"count": str(len(waiting)), **waiting}
            finished = queue.answered + queue.abandoned
            sla = round(100.0 * queue.answered_within_sl / finished) if finished else 0
            answered = queue.answered
            basic: dict[str, Value] = {
                "free-members": free,
                "busy-members": busy,
                "calls-waiting": len(queue.waiting),
                "answered": answered,
                "unanswered": queue.abandoned,
                "in-queue": len(queue.waiting),
                "average-waiting-time": mmss(queue.total_wait_s / answered if answered else 0),
                "max-waiting": queue.capacity,
                "average-call-time": mmss(queue.total_talk_s / answered if answered else 0),
                "measured-sla": mmss(cc.config.sl_threshold_s),
                "sla": sla,
            }
        inside: dict[str, Value] = {"basic-data": basic, "campaign-members": members}
        xml_tree: dict[str, Value] = {**inside, "waiting-calls": waiting}
        if self.version == "1.3":
            return Reply({"cc-monitor": xml_tree}, "cc-monitor", xml_tree)
        return Reply({"cc-monitor": inside, "waiting-calls": waiting}, "cc-monitor", xml_tree)

    def agents(self, request: SimRequest) -> Reply:
        with self.engine.locked() as cc, self._lock:
            tree: dict[str, Value] = {"count": str(len(cc.agents))}
            for n, agent in enumerate(cc.agents.values(), 1):
                outbound = self._outbound.get(agent.id, _Outbound())
                entry: dict[str, Value] = {
                    "id": agent.id,
                    "name": agent.name,
                    "sip": agent.login,
                    "ddi": agent.number,
                    "in_campaigns": Array(
                        "in-campaign", tuple(_campaign_number(q) for q in agent.queue_ids)
                    ),
                    "out_campaigns": Array(
                        "out-campaign",
                        tuple(_campaign_number(q) for q in outbound.campaigns),
                    ),
                }
                if outbound.default is not None:
                    entry["default_out_campaign"] = _campaign_number(outbound.default)
                tree[f"cc-agent-{n}"] = entry
        return _same("cc-agents", tree)

    def in_add(self, request: SimRequest) -> Reply:
        with self.engine.locked() as cc:
            agent = self._agent(request, "agent_id")
            queue = self._queue(request, "campaign_id")
            if (agent.id, queue.id) in cc.memberships:
                raise VendorError(-10, "The agent is already in this campaign")
            cc.add_member(agent.id, queue.id)
        return Reply({"add_agent_status": "OK"}, "add-agent", {"status": "OK"})

    def in_remove(self, request: SimRequest) -> Reply:
        with self.engine.locked() as cc:
            agent = self._agent(request, "agent_id")
            queue = self._queue(request, "campaign_id")
            if (agent.id, queue.id) not in cc.memberships:
                raise VendorError(-8, "The agent is not in this campaign")
            cc.remove_member(agent.id, queue.id)
        return Reply({"remove_agent": {"status": "OK"}}, "remove-agent", {"status": "OK"})

    def out_add(self, request: SimRequest) -> Reply:
        with self.engine.locked(), self._lock:
            agent = self._agent(request, "agent_id")
            queue = self._queue(request, "campaign_id")
            outbound = self._outbound_of(agent.id)
            if queue.id in outbound.campaigns:
                raise VendorError(-10, "The agent is already in this campaign")
            outbound.campaigns[queue.id] = None
        return Reply({"add_agent_status": "OK"}, "add-agent", {"status": "OK"})

    def out_remove(self, request: SimRequest) -> Reply:
        with self.engine.locked(), self._lock:
            agent = self._agent(request, "agent_id")
            queue = self._queue(request, "campaign_id")
            outbound = self._outbound_of(agent.id)
            if queue.id not in outbound.campaigns:
                raise VendorError(-8, "The agent is not in this campaign")
            del outbound.campaigns[queue.id]
            if outbound.default == queue.id:
                outbound.default = None
        return Reply({"remove_agent": {"status": "OK"}}, "remove-agent", {"status": "OK"})

    def out_set_default(self, request: SimRequest) -> Reply:
        with self.engine.locked(), self._lock:
            agent = self._agent(request, "agent_id")
            queue = self._queue(request, "campaign_id")
            outbound = self._outbound_of(agent.id)
            if queue.id not in outbound.campaigns:
                raise VendorError(-6, "campaign_id: the agent is not in this outbound campaign")
            outbound.default = queue.id
        return _same("out_campaign_set_default", {"status": "OK"})

    def phone_accounts(self, request: SimRequest) -> Reply:
        with self.engine.locked() as cc:
            tree: dict[str, Value] = {"count": str(len(cc.agents))}
            for n, agent in enumerate(cc.agents.values(), 1):
                tree[f"phone-account-{n}"] = {
                    "id": agent.id,
                    "number": agent.number,
                    "internal": agent.extension or "-",
                    "login": agent.login,
                    "description": agent.name,
                    "state": "1" if agent.device_ok else "0",
                    "recording": "0",
                }
        return _same("phone-accounts", tree)

    def call_initiate(self, request: SimRequest) -> Reply:
        with self.engine.locked():
            agent = self._agent(request, "phone_account_id")
        number = self._param(request, "destination_number")
        if len(number) > MAX_NUMBER_LENGTH:
            raise VendorError(-6, "destination_number")
        self.engine.originate(agent.id, number)
        return _same("call", {"state": "initiated"})

    # ------------------------------------------------------------------ reading back

    def outbound_campaigns(self, agent_id: str) -> tuple[tuple[str, ...], str | None]:
        """(outbound campaign ids, default) of one agent, for tests and the demo."""
        with self._lock:
            outbound = self._outbound.get(agent_id, _Outbound())
            return tuple(outbound.campaigns), outbound.default


def _state_text(agent: SimAgent) -> str:
    status = agent.status
    if status is AgentStatus.UNAVAILABLE:
        return "Niedostępny"
    if status is AgentStatus.RINGING:
        return "Dzwoni"
    if status in BUSY or (status in PAUSED_LIKE and agent.call_id is not None):
        return "Zajęty"
    if status in (AgentStatus.IDLE, AgentStatus.LOGGED_IN, *PAUSED_LIKE):
        return "Wolny"
    return "Nieznany"


HANDLERS: Final[Mapping[str, Handler]] = {
    "cc_campaigns/list": SpikonSimulator.campaigns,
    "cc_monitor/show": SpikonSimulator.monitor,
    "cc_agent/list": SpikonSimulator.agents,
    "cc_in_campaign/add_agent": SpikonSimulator.in_add,
    "cc_in_campaign/remove_agent": SpikonSimulator.in_remove,
    "cc_out_campaign/add_agent": SpikonSimulator.out_add,
    "cc_out_campaign/remove_agent": SpikonSimulator.out_remove,
    "cc_out_campaign/set_default": SpikonSimulator.out_set_default,
    "phone_account/list": SpikonSimulator.phone_accounts,
    "call/initiate": SpikonSimulator.call_initiate,
}
