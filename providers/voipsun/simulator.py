"""VoIPSUN simple HTTP API simulator: ``/api/api.php?username=…&password=…&action=…`` answered
from the shared ``CallCenter`` engine (manual: ``shared/seeds/002_…``).

Serve it with ``SimulatorServer(VoipsunSimulator(engine)).start()``. What it follows from the
manual:

- Credentials in the query string (or a form body); wrong ones get errno 100. An unknown
  ``action`` gets 110, a missing required parameter 120. Every reply is HTTP 200.
- Every value is a string (``"calls":"0"``), slashes are escaped (``Local\\/1000@…``) and
  non-ASCII is ``\\uXXXX``, as PHP's ``json_encode`` writes them; ``sipstatus`` alone has a
  boolean ``success`` and numeric ``id``/``total``, as in its sample.
- ``queuestatus``: ``members`` keyed by agent name and ``waiters`` keyed by position (objects,
  not lists). ``agentstatus``: the documented reply *verbatim in form*, which is not valid
  JSON: ``{"success":"true":"reason":"Agent 1001 is logged in. Line is free"}``.
- Errnos as documented: wrong agent number or PIN ⇒ 500 (agentlogin), 550 (agentlogout), 580
  (agentpause), 590 (agentunpause), 601 (agentadd), 611 (agentremove), 620 (agentstatus);
  unknown queue ⇒ 600 (agentadd) / 610 (agentremove); several line parameters ⇒ 200 / 300 /
  301 / 501; unknown line ⇒ 202 / 303 / 311 / 503; empty ``channelName`` ⇒ 400.

Choices where the manual is silent (documented here so adapters know):

- Queues are named ``Fronta1`` … ``FrontaN`` (engine queue id N; DESIGN §9). Agent names are
  the engine's logins; the agent number and PIN are the engine's ``number`` and ``pin``; an
  agent's line is its extension (internal number = SIP user name; public number
  ``299299`` + extension; line id = the agent's sequence number).
- ``queuestatus`` of an unknown queue: ``{"success":"true","results":[]}`` (no errno is
  documented for it). Members are the agents logged into the queue; the member ``status``
  is the Asterisk device state: 1 free, 2 in use (talking, or dialing out), 6 ringing, 8 on
  hold, 5 unavailable; ``paused`` is 1 for a pause and for wrap-up (VoIPSUN has no separate
  wrap-up state); ``isInCall`` is 1 while a call is answered or dialing out.
- ``listcalls``: one extension leg per agent call (``SIP/<extension>-<seq>``; status
  ``Ringing`` for an inbound call ringing the agent, ``Ring`` for an outbound call ringing
  out, ``Up`` when answered) and one trunk leg (``SIP/trunk-<seq>``) per inbound call,
  waiting ones included, and per answered outbound call.
- ``sipstatus``: one ``extension_line`` per agent line, registered (``OK (n ms)``, host and
  port) unless the engine's device is down (``UNKNOWN``, ``(Unspecified)``, port 0), plus a
  trunk.
- ``hangupcall`` of an unknown channel answers success (the PBX only forwards the hang-up).
- An action the engine refuses in the current state (e.g. logging out an agent on a call)
  gets ``{"success":"false","reason":"<why>"}``: the manual documents no errno for it.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from providers.model import CallDirection
from providers.sim.engine import PAUSED_LIKE, CallCenter, SimAgent, SimCall, SimError, SimQueue
from providers.sim.server import SimRequest, SimResponse

Json = Any

QUEUE_PREFIX = "Fronta"
PUBLIC_PREFIX = "299299"
SRC_LINE = ("srcExtenPublicNum", "srcExtenInternalNum", "srcExtenId", "srcSipUsername")
DST_LINE = ("dstExtenPublicNum", "dstExtenInternalNum", "dstExtenId", "dstSipUsername")

#: The documented reason of each errno the simulator sends.
REASONS: dict[str, str] = {
    "100": "Unauthorized user or bad permissions",
    "110": "Unknown action",
    "120": "Missing required parameters",
    "200": "Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, "
    "srcExtenId, srcSipUsername",
    "202": "Extension not found",
    "300": "Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, "
    "srcExtenId, srcSipUsername",
    "301": "Use only one of next variables: dstExtenPublicNum, dstExtenInternalNum, "
    "dstExtenId, dstSipUsername, dstChannelName",
    "303": "Source extension not found",
    "311": "Destination extension not found",
    "400": "Parameter channelName is empty",
    "500": "Agent not found, or bad authorization credentials!",
    "501": "Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, "
    "srcExtenId, srcSipUsername.",
    "503": "Extension not found",
    "550": "Agent not found, or bad authorization credentials!",
    "580": "Agent not found, or bad authorization credentials!",
    "590": "Agent not found, or bad authorization credentials!",
    "600": "Queue {queue} not found!",
    "601": "Agent not found, or bad authorization credentials!",
    "610": "Queue {queue} not found!",
    "611": "Agent not found, or bad authorization credentials!",
    "620": "Agent not found, or bad authorization credentials!",
}


class VoipsunError(Exception):
    """An error reply ``{"success":"false","errno":…,"reason":…}`` (errno None: no errno)."""

    def __init__(self, errno: str | None, reason: str | None = None, **fields: str) -> None:
        self.errno = errno
        self.reason = reason or REASONS.get(errno or "", "Error").format(**fields)
        super().__init__(self.reason)


def _json(value: Json) -> bytes:
    """PHP ``json_encode``: compact, ``\\uXXXX`` for non-ASCII, escaped slashes."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode()


OK = {"success": "true"}

#: ``listcalls`` status of an agent's leg: ringing in at the agent, or ringing out.
CHANNEL_STATUS = {("ringing", True): "Ringing", ("ringing", False): "Ring"}


class VoipsunSimulator:
    """An ``app`` for ``SimulatorServer`` answering VoIPSUN's documented ``api.php``."""

    def __init__(
        self,
        engine: CallCenter,
        username: str = "demo",
        password: str = "demo",  # noqa: S107 - the documented simulator login (DESIGN §9)
    ) -> None:
        self.engine = engine
        self.username = username
        self.password = password
        self._actions: dict[str, Callable[[SimRequest], Json]] = {
            "queuestatus": self._queue_status,
            "agentstatus": self._agent_status,
            "listcalls": self._list_calls,
            "sipstatus": self._sip_status,
            "agentlogin": self._agent_login,
            "agentlogout": self._agent_logout,
            "agentpause": self._agent_pause,
            "agentunpause": self._agent_unpause,
            "agentadd": self._agent_add,
            "agentremove": self._agent_remove,
            "spying": self._spying,
            "hangupcall": self._hangup_call,
            "originate": self._originate,
        }

    @staticmethod
    def queue_name(queue_id: str) -> str:
        return f"{QUEUE_PREFIX}{queue_id}"

    # ------------------------------------------------------------------ plumbing

    def __call__(self, request: SimRequest) -> SimResponse:
        if not request.path.rstrip("/").endswith("/api/api.php"):
            return SimResponse(404, b"Not Found", "text/plain")
        try:
            if not self._authorised(request):
                raise VoipsunError("100")
            action = self._actions.get(request.param("action") or "")
            if action is None:
                raise VoipsunError("110")
            reply = action(request)
        except VoipsunError as err:
            failure: dict[str, str] = {"success": "false"}
            if err.errno is not None:
                failure["errno"] = err.errno
            failure["reason"] = err.reason
            return SimResponse(200, _json(failure), "application/json")
        body = reply if isinstance(reply, bytes) else _json(reply)
        return SimResponse(200, body, "application/json")

    def _authorised(self, request: SimRequest) -> bool:
        username = request.param("username") or ""
        password = request.param("password") or ""
        return hmac.compare_digest(username.encode(), self.username.encode()) & (
            hmac.compare_digest(password.encode(), self.password.encode())
        )

    @staticmethod
    def _required(request: SimRequest, name: str) -> str:
        value = (request.param(name) or "").strip()
        if not value:
            raise VoipsunError("120")
        return value

    def _queue(self, name: str, errno: str) -> SimQueue:
        match = re.fullmatch(rf"{QUEUE_PREFIX}(\d+)", name)
        queue = self.engine.queues.get(match.group(1)) if match else None
        if queue is None:
            raise VoipsunError(errno, queue=name)
        return queue

    def _agent(self, request: SimRequest, errno: str) -> SimAgent:
        """The agent by ``agentNumber``, if ``agentPin`` is right; else the action's errno."""
        number = self._required(request, "agentNumber")
        pin = self._required(request, "agentPin")
        for agent in self.engine.agents.values():
            if agent.number == number:
                if hmac.compare_digest(agent.pin.encode(), pin.encode()):
                    return agent
                break
        raise VoipsunError(errno)

    def _line(
        self,
        request: SimRequest,
        names: tuple[str, ...],
        *,
        conflict: str,
        not_found: str,
        known_only: bool = True,
    ) -> str:
        """The extension picked by exactly one of ``names`` (public number, internal number,
        line id or SIP user name)."""
        given = [(name, (request.param(name) or "").strip()) for name in names]
        given = [(name, value) for name, value in given if value]
        if len(given) > 1:
            raise VoipsunError(conflict)
        if not given:
            raise VoipsunError("120")
        name, value = given[0]
        extensions = {agent.extension: agent for agent in self.engine.agents.values()}
        if name.endswith("PublicNum"):
            value = value.removeprefix(PUBLIC_PREFIX) if value.startswith(PUBLIC_PREFIX) else ""
        elif name.endswith("Id"):
            by_seq = {str(agent.seq): agent.extension for agent in self.engine.agents.values()}
            value = by_seq.get(value, "")
        if not value or (known_only and value not in extensions):
            raise VoipsunError(not_found)
        return value

    def _do(self, action: Callable[[], object]) -> Json:
        try:
            action()
        except SimError as err:
            raise VoipsunError(None, f"Action refused: {err.message}") from None
        return OK

    # ------------------------------------------------------------------ device state

    def _device(self, agent: SimAgent) -> tuple[str, str, str]:
        """(Asterisk device state, line text, isInCall) of an agent's line."""
        if not agent.device_ok:
            return "5", "Line is unavailable", "0"
        call = self.engine.calls.get(agent.call_id or "")
        if call is None:
            return "1", "Line is free", "0"
        if call.state == "ringing":
            if call.direction is CallDirection.OUT:
                return "2", "Line is In use", "1"
            return "6", "Line is ringing", "0"
        if call.state == "on_hold":
            return "8", "Line is On hold", "1"
        return "2", "Line is In use", "1"

    # ------------------------------------------------------------------ reading

    def _queue_status(self, request: SimRequest) -> Json:
        name = self._required(request, "queueName")
        with self.engine.locked() as engine:
            match = re.fullmatch(rf"{QUEUE_PREFIX}(\d+)", name)
            queue = engine.queues.get(match.group(1)) if match else None
            if queue is None:
                return {"success": "true", "results": []}
            members: dict[str, Json] = {}
            for agent_id in queue.member_ids:
                agent = engine.agents[agent_id]
                membership = engine.memberships[(agent_id, queue.id)]
                if not (agent.logged_in and membership.logged_in):
                    continue
                state, text, in_call = self._device(agent)
                members[agent.login] = {
                    "agentName": agent.login,
                    "channelStatus": text,
                    "location": f"Local/{agent.extension}@extensions-dialplanid-1",
                    "loggedFrom": f"SIP/{agent.extension}",
                    "membership": "static" if membership.static else "dynamic",
                    "penalty": str(membership.penalty),
                    "callsTaken": "0",
                    "lastCall": "0",
                    "isInCall": in_call,
                    "status": state,
                    "paused": "1" if agent.status in PAUSED_LIKE else "0",
                }
            waiters: dict[str, Json] = {}
            for position, call_id in enumerate(queue.waiting, start=1):
                call = engine.calls[call_id]
                waiters[str(position)] = {
                    "position": str(position),
                    "channel": self._trunk_channel(call),
                    "uniqueid": call.id,
                    "callerIdNum": call.caller,
                    "callerIdName": call.caller_name or call.caller,
                    "connectedLineNum": None,
                    "connectedLineName": None,
                    "wait": str(engine.waiting_seconds(call)),
                }
            finished = queue.answered + queue.abandoned
            sl = 100.0 * queue.answered_within_sl / finished if finished else 0.0
            answered = queue.answered
            result = {
                "queueName": self.queue_name(queue.id),
                "max": str(queue.capacity),
                "strategy": "rrordered",
                "calls": str(len(queue.waiting)),
                "holdTime": str(round(queue.total_wait_s / answered)) if answered else "0",
                "talkTime": str(round(queue.total_talk_s / answered)) if answered else "0",
                "completed": str(queue.answered),
                "abandoned": str(queue.abandoned),
                "serviceLevel": str(engine.config.sl_threshold_s),
                "serviceLevelPerf": f"{sl:.1f}",
                "weight": "0",
                "members": members,
                "waiters": waiters,
            }
        return {"success": "true", "results": [result]}

    def _agent_status(self, request: SimRequest) -> Json:
        with self.engine.locked():
            agent = self._agent(request, "620")
            if not agent.logged_in:
                reason = f"Agent {agent.number} is logged out."
            else:
                _, text, _ = self._device(agent)
                reason = f"Agent {agent.number} is logged in. {text}"
        # The documented reply, not valid JSON: a colon where a comma belongs.
        return b'{"success":"true":"reason":' + _json(reason) + b"}"

    @staticmethod
    def _trunk_channel(call: SimCall) -> str:
        return f"SIP/trunk-{call.seq:08x}"

    def _list_calls(self, request: SimRequest) -> Json:
        results: list[Json] = []
        with self.engine.locked() as engine:
            for call in engine.calls.values():
                inbound = call.direction is CallDirection.IN
                context = "incomingRouteApp-1" if inbound else "outgoingRouteApp-1"
                started = call.answered_at or call.ringing_at or call.entered_at
                duration = str(max(0, int((engine.now - started).total_seconds())))
                agent = engine.agents.get(call.agent_id or "")
                if agent is not None:
                    status = CHANNEL_STATUS.get((call.state, inbound), "Up")
                    results.append(
                        {
                            "channelName": call.channel,
                            "context": context,
                            "src": call.caller if inbound else agent.extension,
                            "dst": agent.extension if inbound else call.caller,
                            "duration": duration,
                            "status": status,
                            "accountCode": f"SIP_{agent.seq}",
                            "sourceType": "extension",
                            "idChannel": str(agent.seq),
                        }
                    )
                if inbound or call.answered_at is not None:
                    queue = engine.queues.get(call.queue_id or "")
                    trunk_duration = str(int((engine.now - call.entered_at).total_seconds()))
                    results.append(
                        {
                            "channelName": self._trunk_channel(call),
                            "context": context,
                            "src": call.caller if inbound else (agent.extension if agent else ""),
                            "dst": (queue.number if queue else "") if inbound else call.caller,
                            "duration": trunk_duration,
                            "status": "Up",
                            "accountCode": "SIPTR_1",
                            "sourceType": "trunk",
                            "idChannel": "1",
                        }
                    )
        return {"success": "true", "total": str(len(results)), "results": results}

    def _sip_status(self, request: SimRequest) -> Json:
        results: list[Json] = []
        with self.engine.locked() as engine:
            for agent in engine.agents.values():
                ok = agent.device_ok
                host = f"10.0.{agent.seq // 250}.{agent.seq % 250 + 2}" if ok else "(Unspecified)"
                results.append(
                    {
                        "id": agent.seq * 10 + 2,
                        "type": "extension_line",
                        "user": agent.extension,
                        "host": host,
                        "port": "5060" if ok else "0",
                        "status": f"OK ({agent.seq % 40 + 10} ms)" if ok else "UNKNOWN",
                        "useragent": "snom870/8.7.3.25.9" if ok else "",
                        "regcontact": f"sip:{agent.extension}@{host}:5060" if ok else "",
                        "registry": None,
                        "extension_line_id": str(agent.seq),
                    }
                )
        results.append(
            {
                "id": 111,
                "type": "sip",
                "user": "siptrunk1",
                "host": "192.0.2.10",
                "port": "5060",
                "status": "OK (98 ms)",
                "useragent": "",
                "regcontact": "",
                "registry": None,
                "sip_id": "11",
            }
        )
        return {"total": len(results), "results": results, "success": True, "_debug": False}

    # ------------------------------------------------------------------ actions

    def _agent_login(self, request: SimRequest) -> Json:
        with self.engine.locked() as engine:
            extension = self._line(request, SRC_LINE, conflict="501", not_found="503")
            agent = self._agent(request, "500")
            return self._do(lambda: engine.login(agent.id, extension))

    def _agent_logout(self, request: SimRequest) -> Json:
        with self.engine.locked() as engine:
            agent = self._agent(request, "550")
            return self._do(lambda: engine.logout(agent.id))

    def _agent_pause(self, request: SimRequest) -> Json:
        with self.engine.locked() as engine:
            agent = self._agent(request, "580")
            # Asterisk's QueuePause works during a call too.
            return self._do(lambda: engine.pause(agent.id, None, force=True))

    def _agent_unpause(self, request: SimRequest) -> Json:
        with self.engine.locked() as engine:
            agent = self._agent(request, "590")
            return self._do(lambda: engine.unpause(agent.id))

    def _agent_add(self, request: SimRequest) -> Json:
        with self.engine.locked() as engine:
            queue = self._queue(self._required(request, "queueName"), "600")
            agent = self._agent(request, "601")
            raw = (request.param("penalty") or "0").strip()
            if not raw.isdigit():
                raise VoipsunError(None, "Penalty must be a whole number")
            penalty = int(raw)
            if agent.logged_in:
                return self._do(lambda: engine.login_queue(agent.id, queue.id, penalty))
            return self._do(lambda: engine.add_member(agent.id, queue.id, penalty))

    def _agent_remove(self, request: SimRequest) -> Json:
        with self.engine.locked() as engine:
            queue = self._queue(self._required(request, "queueName"), "610")
            agent = self._agent(request, "611")
            return self._do(lambda: engine.remove_member(agent.id, queue.id))

    def _spying(self, request: SimRequest) -> Json:
        with self.engine.locked() as engine:
            listener = self._line(
                request, SRC_LINE, conflict="300", not_found="303", known_only=False
            )
            destinations = [*DST_LINE, "dstChannelName"]
            if sum(1 for name in destinations if (request.param(name) or "").strip()) > 1:
                raise VoipsunError("301")
            channel = (request.param("dstChannelName") or "").strip()
            if channel:
                call = self._call_by_channel(channel)
                agent_id = call.agent_id if call is not None else None
                if agent_id is None:
                    raise VoipsunError("311")
            else:
                extension = self._line(request, DST_LINE, conflict="301", not_found="311")
                agent_id = engine.agent_id_by_extension(extension)
                if agent_id is None:
                    raise VoipsunError("311")
            spied = agent_id
            return self._do(lambda: engine.monitor(spied, listener, "spy"))

    def _call_by_channel(self, channel: str) -> SimCall | None:
        channel = channel.replace("\\", "/")
        for call in self.engine.calls.values():
            if channel in (call.channel, self._trunk_channel(call)):
                return call
        return None

    def _hangup_call(self, request: SimRequest) -> Json:
        channel = (request.param("channelName") or "").strip()
        if not channel:
            raise VoipsunError("400")
        with self.engine.locked() as engine:
            call = self._call_by_channel(channel)
            if call is None:
                return OK
            return self._do(lambda: engine.hangup(call.id))

    def _originate(self, request: SimRequest) -> Json:
        with self.engine.locked() as engine:
            extension = self._line(request, SRC_LINE, conflict="200", not_found="202")
            number = self._required(request, "dstNum")
            agent_id = engine.agent_id_by_extension(extension)
            if agent_id is None:
                raise VoipsunError("202")
            return self._do(lambda: engine.originate(agent_id, number))


def queue_names(engine: CallCenter) -> list[str]:
    """``Fronta1`` … ``FrontaN`` for the engine's queues (to print and to configure)."""
    return [VoipsunSimulator.queue_name(queue_id) for queue_id in engine.queues]


def agent_credentials(engine: CallCenter) -> Mapping[str, tuple[str, str]]:
    """Agent name → (agent number, PIN), e.g. for the adapter's ``agents`` setting."""
    return {agent.login: (agent.number, agent.pin) for agent in engine.agents.values()}


def account_settings(
    engine: CallCenter,
    username: str = "demo",
    password: str = "demo",  # noqa: S107 - the documented simulator login (DESIGN §9)
) -> dict[str, str]:
    """The ``VoipsunProvider`` settings that connect to a simulator of ``engine``: the API
    login, every queue, and every agent's number and PIN (so logged-out agents show)."""
    agents = agent_credentials(engine)
    return {
        "username": username,
        "password": password,
        "queues": ",".join(queue_names(engine)),
        "agents": ",".join(f"{name}:{number}:{pin}" for name, (number, pin) in agents.items()),
    }
