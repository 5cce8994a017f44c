"""Daktela API simulator: the documented ``/api/{version}/{Action}[/{id}]/{json|xml}`` URLs
answered from the shared ``CallCenter`` engine (manual: ``shared/seeds/003_…``).

Serve it with ``SimulatorServer(DaktelaSimulator(engine)).start()``. What it follows from
the manual:

- ``access_token`` = sha1(login + password), from the query string or an ``access_token``
  cookie; a wrong or missing token gets ``{"error":"Uživatel neexistuje","status":0}``.
- Replies are ``{"status":1,"error":null,"result":…}`` (key order and the presence of
  ``result`` as in each action's example) or ``{"error":"<Czech text>","status":0}``,
  always with HTTP 200 like the manual's examples; slashes are escaped (``\\/``) and
  non-ASCII written as ``\\uXXXX``, as PHP's ``json_encode`` does.
- Lists of records are objects keyed by id; ids and counters inside records are strings
  where the examples show strings (GetQueues, GetUsers, GetPauses, RTStatsCalls relative
  times, RTStatsSessions) and numbers where they show numbers (RTStatsQueues,
  RTStatsQueuesSummary). Queue ``options`` is a JSON *string* in GetQueues and an object
  in ``login_oqueues`` / ``oqueue``. ``calls_time`` is null when nothing waits.
- Times are naive local times ``YYYY-MM-DD HH:MM:SS`` in the engine's time zone.
- GetPauses has the 3.3+ shape (``pause, name, title, type, paid, deleted``) for versions
  ≥ 3.3 and the 3.0 shape (``pcode_id, pcode, pcode_desc, …, pauseType``) below.
- RTUserState returns ``hash`` (sha1 of the result); called with the current hash it
  long-polls until the agent's state changes or ``long_poll_s`` (60 s, as documented)
  passes, then returns the state.

Choices where the manual is silent (documented here so adapters know):

- Status names: ``Logged``, ``Idle``, ``Paused`` (WRAP_UP is ``Paused`` with the wrap pause
  id), ``Ringing``, ``Calling`` (outbound dialing, the RTStatsSessions name, used in
  RTUsersState too), ``Speaking``, ``On Hold``. A logged-out agent is absent from
  RTUsersState and RTStatsSessions, and RTUserState answers it with an error. An agent
  whose phone is unreachable keeps ``Idle``/``Logged``; only DeviceStates says
  ``UNAVAILABLE``.
- DeviceStates: the documented list ``[{"exten","status","ip","port"}]`` with one entry
  per agent extension; status AVAILABLE, INUSE (talking/dialing), RINGING, ONHOLD or
  UNAVAILABLE (``"ip":"-none-","port":"0"``).
- ``login_oqueues`` lists the agent's memberships: ``penalty`` is the priority, ``login``
  is ``auto`` for static memberships and ``manual`` for dynamic ones, ``rt_logged`` says
  whether the agent is logged into that queue now.
- RTStatsCalls lists waiting calls too (state ``Waiting``, ``agent`` null, ``users`` []);
  a ringing call has ``agent`` null and the ringing agent in ``users``.
- Error texts not in the manual are short Czech sentences in the manual's style (see
  ``_ERRORS``); an unknown action gets ``"Neznámá akce <name>"``.
- GetUsers returns ``password`` as an empty string (the manual shows the password; the
  simulator has none to show).
- XML (the manual has no XML example): the same envelope as
  ``<response><status>1</status><error/><result>…</result></response>``; object keys
  become elements, keys that are not valid element names (numeric ids) become
  ``<item key="4">``, list entries become ``<item>``, null an empty element and booleans
  ``true``/``false``. Content type ``application/xml``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import zoneinfo
from collections.abc import Callable
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from providers.model import AgentStatus, CallDirection, PauseType
from providers.sim.engine import (
    BUSY,
    PAUSED_LIKE,
    CallCenter,
    SimAgent,
    SimCall,
    SimError,
    SimQueue,
)
from providers.sim.server import SimRequest, SimResponse

URL = re.compile(
    r"/api/(?P<version>\d+(?:\.\d+)?)/(?P<action>[A-Za-z]+)(?:/(?P<id>[^/]+))?"
    r"/(?P<format>json|xml)/?$"
)
ELEMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")

AUTH_ERROR = "Uživatel neexistuje"
_ERRORS = {
    "user": "Uživatel nebyl nalezen",
    "queue": "Fronta nebyla nalezena",
    "call": "Hovor nebyl nalezen",
    "pause": "Tato pauza nebyla nalezena",
    "pause_refused": "Uživatel právě vyzvání, hovoří nebo drží hovor, pauzu nelze nastavit",
    "not_logged": "Uživatel není přihlášen do Call Centra",
    "logout_queue": "Nelze se odhlasit z fronty/kampaně, ve které probíhá hovor s číslem {number}",
    "create_call": "Agent není přihlášen do odchozí kampaně/fronty",
    "no_call": "Uživatel nemá žádný probíhající hovor",
    "priority": "Priorita musí být 0, 1 nebo 2",
    "params": "Chybí povinný parametr {name}",
    "mode": "Neplatný typ odposlechu",
    "refused": "Akci nelze v aktuálním stavu provést",
    "invalid": "Neplatné parametry",
    "not_found": "Záznam nebyl nalezen",
    "unknown": "Neznámá akce {name}",
}
AGENT_STATE = {
    AgentStatus.LOGGED_IN: "Logged",
    AgentStatus.IDLE: "Idle",
    AgentStatus.RINGING: "Ringing",
    AgentStatus.DIALING: "Calling",
    AgentStatus.TALKING: "Speaking",
    AgentStatus.ON_HOLD: "On Hold",
    AgentStatus.WRAP_UP: "Paused",
    AgentStatus.PAUSED: "Paused",
}
CALL_STATE = {
    "waiting": "Waiting",
    "ringing": "Ringing",
    "talking": "Speaking",
    "on_hold": "On Hold",
}
YES = frozenset({"yes", "true", "1", "on"})

Json = Any


class DaktelaError(Exception):
    """An error reply: ``{"error": message, "status": 0}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Reply:
    """A success reply; ``shape`` picks the documented envelope of the action."""

    def __init__(self, result: Json = None, shape: str = "result") -> None:
        self.result = result
        self.shape = shape  # "result": status, error, result; "bare": error, status;
        # "error_first": error, status, result


class DaktelaSimulator:
    """A WSGI-like ``app`` for ``SimulatorServer`` answering Daktela's documented API."""

    def __init__(
        self,
        engine: CallCenter,
        login: str = "demo",
        password: str = "demo",  # noqa: S107 - the documented simulator login (DESIGN §9)
        *,
        long_poll_s: float = 60.0,
        long_poll_slice_s: float = 0.2,
    ) -> None:
        self.engine = engine
        self.access_token = hashlib.sha1(  # noqa: S324 - the vendor's documented scheme
            (login + password).encode()
        ).hexdigest()
        self.long_poll_s = long_poll_s
        self.long_poll_slice_s = long_poll_slice_s
        self.tz = zoneinfo.ZoneInfo(engine.config.time_zone)
        self._actions: dict[str, Callable[[SimRequest, tuple[int, ...], str | None], _Reply]] = {
            "GetQueues": self._get_queues,
            "GetUsers": self._get_users,
            "GetPauses": self._get_pauses,
            "RTStatsQueues": self._rt_stats_queues,
            "RTStatsQueuesSummary": self._rt_stats_queues_summary,
            "RTUsersState": self._rt_users_state,
            "RTUserState": self._rt_user_state,
            "RTStatsCalls": self._rt_stats_calls,
            "RTStatsPauses": self._rt_stats_pauses,
            "RTStatsSessions": self._rt_stats_sessions,
            "DeviceStates": self._device_states,
            "PauseOn": self._pause_on,
            "PauseOff": self._pause_off,
            "Monitoring": self._monitoring,
            "Transfer": self._transfer,
            "Hangup": self._hangup,
            "LoginQueue": self._login_queue,
            "LogoutQueue": self._logout_queue,
            "Login": self._login,
            "Logout": self._logout,
            "PickupFromQueue": self._pickup,
            "CreateCall": self._create_call,
        }

    # ------------------------------------------------------------------ plumbing

    def __call__(self, request: SimRequest) -> SimResponse:
        match = URL.search(request.path)
        if match is None:
            return SimResponse(404, b"Not Found", "text/plain")
        fmt = match["format"]
        if not self._authorised(request):
            return self._render({"error": AUTH_ERROR, "status": 0}, fmt)
        action = self._actions.get(match["action"])
        try:
            if action is None:
                raise DaktelaError(_ERRORS["unknown"].format(name=match["action"]))
            version = tuple(int(part) for part in match["version"].split("."))
            reply = action(request, version, match["id"])
        except DaktelaError as err:
            return self._render({"error": err.message, "status": 0}, fmt)
        if reply.shape == "bare":
            envelope: dict[str, Json] = {"error": None, "status": 1}
        elif reply.shape == "error_first":
            envelope = {"error": None, "status": 1, "result": reply.result}
        else:
            envelope = {"status": 1, "error": None, "result": reply.result}
        return self._render(envelope, fmt)

    def _authorised(self, request: SimRequest) -> bool:
        token = request.param("access_token")
        if token is None and "cookie" in request.headers:
            try:
                cookie = SimpleCookie(request.headers["cookie"])
            except CookieError:
                cookie = SimpleCookie()
            if "access_token" in cookie:
                token = cookie["access_token"].value
        return token is not None and hmac.compare_digest(token, self.access_token)

    def _render(self, envelope: dict[str, Json], fmt: str) -> SimResponse:
        if fmt == "xml":
            inner = "".join(_xml_element(key, value) for key, value in envelope.items())
            body = f'<?xml version="1.0" encoding="UTF-8"?>\n<response>{inner}</response>'
            return SimResponse(200, body.encode(), "application/xml")
        return SimResponse(200, _php_json(envelope).encode(), "application/json")

    def _local(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")

    def _seconds(self, since: datetime | None, until: datetime | None = None) -> str:
        if since is None:
            return "0"
        end = until or self.engine.now
        return str(max(0, int((end - since).total_seconds())))

    @staticmethod
    def _required(request: SimRequest, name: str) -> str:
        value = request.param(name)
        if not value:
            raise DaktelaError(_ERRORS["params"].format(name=name))
        return value

    @staticmethod
    def _multi(request: SimRequest, name: str) -> list[str] | None:
        """PHP-style array parameters: ``name``, ``name[]`` or ``name[0]``…"""
        values: list[str] = []
        found = False
        for key, items in request.params().items():
            if key == name or key == f"{name}[]" or re.fullmatch(rf"{name}\[\d+\]", key):
                found = True
                values.extend(item for item in items if item)
        return values if found else None

    def _agent(
        self, request: SimRequest, *, extension_names: tuple[str, ...] = ("extension",)
    ) -> SimAgent:
        login = request.param("user")
        agent_id = None
        if login:
            agent_id = self.engine.agent_id_by_login(login)
        else:
            for name in extension_names:
                extension = request.param(name)
                if extension:
                    agent_id = self.engine.agent_id_by_extension(extension)
                    break
            else:
                raise DaktelaError(_ERRORS["params"].format(name="user"))
        if agent_id is None:
            raise DaktelaError(_ERRORS["user"])
        return self.engine.agents[agent_id]

    def _queue_by_number(self, request: SimRequest) -> SimQueue:
        number = self._required(request, "queue")
        queue_id = self.engine.queue_id_by_number(number)
        if queue_id is None:
            raise DaktelaError(_ERRORS["queue"])
        return self.engine.queues[queue_id]

    # ------------------------------------------------------------------ shapes

    def _queue_options(self, queue: SimQueue) -> dict[str, str]:
        cfg = self.engine.config
        return {
            "prefix": "",
            "members": "",
            "outboundcid": "",
            "recording_user": "",
            "music": "inherit",
            "maxwait": "",
            "maxlength": str(queue.capacity),
            "call_timeout": "",
            "ring_strategy": "leastrecent",
            "ringtime": str(cfg.ring_s),
            "retrytime": "5",
            "wrapuptime": str(cfg.wrap_up_s),
            "weight": "0",
            "threshold_time": str(cfg.sl_threshold_s),
            "threshold_users": "",
            "threshold_calls": "",
            "missed": "",
            "sort_time": "ASC",
            "qa_form": "",
            "contact_url": "http://",
            "target": "terminate",
            "target_terminate": "hangup",
        }

    def _queue_record(self, queue: SimQueue, *, options_as_string: bool) -> dict[str, Json]:
        options = self._queue_options(queue)
        return {
            "queue": queue.id,
            "name": queue.number,
            "title": queue.name,
            "description": "",
            "outboundcid": "",
            "type": queue.direction,
            "direction": queue.direction,
            "wrapuptime": str(self.engine.config.wrap_up_s),
            "outbounder": "0",
            "form": "0",
            "missed": None,
            "options": _php_json(options) if options_as_string else options,
            "deleted": "0",
        }

    def _call_record(self, call: SimCall) -> dict[str, Json]:
        queue = self.engine.queues.get(call.queue_id or "")
        return {
            "id_call": call.id,
            "direction": call.direction.value,
            "clid": call.caller,
            "clid_name": call.caller_name,
            "id_queue": call.queue_id,
            "oqueue": self._queue_record(queue, options_as_string=False) if queue else None,
            "entered": self._local(call.entered_at),
            "ringed": self._local(call.ringing_at),
            "answered": self._local(call.answered_at),
            "call_state": CALL_STATE[call.state],
            "onhold": self._local(call.held_at),
        }

    def _user_state(self, agent: SimAgent) -> dict[str, Json]:
        cc = self.engine
        status = agent.status
        if status is AgentStatus.UNAVAILABLE:
            status = (
                AgentStatus.IDLE
                if any(cc.memberships[(agent.id, q)].logged_in for q in agent.queue_ids)
                else AgentStatus.LOGGED_IN
            )
        paused = agent.status in PAUSED_LIKE
        call = cc.calls.get(agent.call_id or "")
        oqueues = []
        for queue_id in agent.queue_ids:
            membership = cc.memberships[(agent.id, queue_id)]
            record = self._queue_record(cc.queues[queue_id], options_as_string=False)
            record.update(
                {
                    "penalty": str(membership.penalty),
                    "login": "auto" if membership.static else "manual",
                    "rt_logged": membership.logged_in and agent.logged_in,
                }
            )
            oqueues.append(record)
        return {
            "agent_name": agent.login,
            "agent_title": agent.name,
            "id_agent": agent.id,
            "exten": agent.extension,
            "logintime": self._local(agent.logged_in_at),
            "agent_state": AGENT_STATE.get(status, "Idle"),
            "state_time": self._local(agent.status_since),
            "id_pause": agent.pause_id if paused else None,
            "onpause": self._local(agent.status_since) if paused else None,
            "calls": [self._call_record(call)] if call is not None else [],
            "callscript_opened": None,
            "login_oqueues": oqueues,
        }

    def _queue_counts(self, queue: SimQueue, users: set[str] | None) -> dict[str, int]:
        cc = self.engine
        counts = {"users_total": 0, "users_ready": 0, "users_busy": 0, "users_pause": 0}
        for agent_id in queue.member_ids:
            agent = cc.agents[agent_id]
            if users is not None and agent_id not in users:
                continue
            if not (agent.logged_in and cc.memberships[(agent_id, queue.id)].logged_in):
                continue
            counts["users_total"] += 1
            if agent.status is AgentStatus.IDLE:
                counts["users_ready"] += 1
            elif agent.status in BUSY:
                counts["users_busy"] += 1
            elif agent.status in PAUSED_LIKE:
                counts["users_pause"] += 1
        return counts

    # ------------------------------------------------------------------ reads

    def _get_queues(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        with self.engine.locked() as cc:
            id_ = id_ or request.param("id")
            if id_ is not None:
                queue = cc.queues.get(id_)
                if queue is None:
                    raise DaktelaError(_ERRORS["queue"])
                return _Reply(self._get_queue_record(queue))
            return _Reply({q.id: self._get_queue_record(q) for q in cc.queues.values()})

    def _get_queue_record(self, queue: SimQueue) -> dict[str, Json]:
        record = self._queue_record(queue, options_as_string=True)
        del record["type"]  # GetQueues has no "type", unlike login_oqueues
        record.update({"user": "1", "penalty": "0", "login": "manual"})
        return record

    def _user_record(self, agent: SimAgent) -> dict[str, Json]:
        return {
            "user": agent.id,
            "role": "role_agent",
            "profile": "profile_agent",
            "name": agent.login,
            "title": agent.name,
            "description": "",
            "password": "",
            "email": "",
            "deleted": "0",
        }

    def _get_users(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        with self.engine.locked() as cc:
            id_ = id_ or request.param("id")
            extension = request.param("extension")
            if id_ is None and extension:
                id_ = cc.agent_id_by_extension(extension)
                if id_ is None:
                    raise DaktelaError(_ERRORS["user"])
            if id_ is not None:
                agent = cc.agents.get(id_)
                if agent is None:
                    raise DaktelaError(_ERRORS["user"])
                return _Reply(self._user_record(agent))
            return _Reply({a.id: self._user_record(a) for a in cc.agents.values()})

    def _get_pauses(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        cc = self.engine
        id_ = id_ or request.param("id")
        pauses = list(cc.pauses.values())
        if id_ is not None:
            pauses = [p for p in pauses if p.id == id_]
            if not pauses:
                raise DaktelaError(_ERRORS["pause"])
        result: dict[str, Json] = {}
        for pause in pauses:
            if version >= (3, 3):
                kind = {PauseType.WRAP: "wrap", PauseType.OTHER: "lajdak"}.get(pause.type)
                result[pause.id] = {
                    "pause": pause.id,
                    "name": pause.code,
                    "title": pause.title,
                    "type": kind or "",
                    "paid": "1" if pause.paid else "0",
                    "deleted": "0",
                }
            else:
                result[pause.id] = {
                    "pcode_id": pause.id,
                    "pcode": pause.code,
                    "pcode_desc": pause.title,
                    "read_key": "",
                    "isBillable": "1" if pause.paid else "0",
                    "isPayable": "0",
                    "pauseType": "-" if pause.type is PauseType.NORMAL else "w",
                    "sys_dt_creazione": "0000-00-00 00:00:00",
                    "sys_user_creazione": "0",
                    "sys_dt_modifica": "0000-00-00 00:00:00",
                    "sys_user_modifica": "0",
                    "sys_optilock": "0",
                }
        return _Reply(result)

    def _rt_stats_queues(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        with self.engine.locked() as cc:
            active = [c for c in cc.calls.values() if c.agent_id is not None]
            result = {}
            for queue in cc.queues.values():
                waits = [cc.waiting_seconds(cc.calls[c]) for c in queue.waiting]
                result[queue.id] = {
                    "id": queue.id,
                    **self._queue_counts(queue, None),
                    "calls_count": sum(1 for c in active if c.queue_id == queue.id),
                    "calls_wait": len(waits),
                    "calls_time": max(waits) if waits else None,
                }
            return _Reply(result)

    def _rt_stats_queues_summary(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        users = self._multi(request, "users")
        queues = self._multi(request, "queues")
        user_set = set(users) if users is not None else None
        with self.engine.locked() as cc:
            chosen = [q for q in cc.queues.values() if queues is None or q.id in queues]
            seen: dict[str, AgentStatus] = {}
            for queue in chosen:
                for agent_id in queue.member_ids:
                    agent = cc.agents[agent_id]
                    if user_set is not None and agent_id not in user_set:
                        continue
                    if agent.logged_in and cc.memberships[(agent_id, queue.id)].logged_in:
                        seen[agent_id] = agent.status
            chosen_ids = {q.id for q in chosen}
            active = [
                c
                for c in cc.calls.values()
                if c.agent_id is not None
                and (user_set is None or c.agent_id in user_set)
                and (queues is None or c.queue_id in chosen_ids)
            ]
            waits = [cc.waiting_seconds(cc.calls[c]) for q in chosen for c in q.waiting]
            return _Reply(
                {
                    "users_total": len(seen),
                    "users_ready": sum(1 for s in seen.values() if s is AgentStatus.IDLE),
                    "users_busy": sum(1 for s in seen.values() if s in BUSY),
                    "users_pause": sum(1 for s in seen.values() if s in PAUSED_LIKE),
                    "calls_count": len(active),
                    "calls_in": sum(1 for c in active if c.direction is CallDirection.IN),
                    "calls_out": sum(1 for c in active if c.direction is CallDirection.OUT),
                    "calls_wait": len(waits),
                    "calls_time": max(waits) if waits else 0,
                }
            )

    def _rt_users_state(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        with self.engine.locked() as cc:
            return _Reply({a.id: self._user_state(a) for a in cc.agents.values() if a.logged_in})

    def _rt_user_state(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        known_hash = request.param("hash")
        deadline = time.monotonic() + self.long_poll_s
        while True:
            with self.engine.locked():
                agent = self._agent(request)
                if not agent.logged_in:
                    raise DaktelaError(_ERRORS["not_logged"])
                result = self._user_state(agent)
            digest = hashlib.sha1(  # noqa: S324 - a change marker, not security
                json.dumps(result, sort_keys=True).encode()
            ).hexdigest()
            remaining = deadline - time.monotonic()
            if known_hash is None or digest != known_hash or remaining <= 0:
                result["hash"] = digest
                return _Reply(result)
            self.engine.wait_for_change(min(self.long_poll_slice_s, remaining))

    def _rt_stats_calls(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        with self.engine.locked() as cc:
            result = {}
            for call in cc.calls.values():
                answered = call.answered_at is not None
                result[call.id] = {
                    "id": call.id,
                    "queue": call.queue_id,
                    "agent": call.agent_id if answered else None,
                    "users": [call.agent_id] if call.agent_id else [],
                    "clid": call.caller,
                    "direction": call.direction.value,
                    "state": CALL_STATE[call.state],
                    "enter_time_absolute": self._local(call.entered_at),
                    "enter_time_relative": self._seconds(call.entered_at),
                    "wait_time_absolute": self._local(call.entered_at),
                    "wait_time_relative": self._seconds(
                        call.entered_at, call.answered_at or call.ringing_at
                    ),
                    "ring_time_absolute": self._local(call.ringing_at),
                    "ring_time_relative": self._seconds(call.ringing_at, call.answered_at),
                    "answer_time_absolute": self._local(call.answered_at),
                    "answer_time_relative": self._seconds(call.answered_at),
                    "hold_time_absolute": self._local(call.held_at),
                    "hold_time_relative": self._seconds(call.held_at),
                }
            return _Reply(result)

    def _rt_stats_pauses(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        with self.engine.locked() as cc:
            users: dict[str, list[str]] = {}
            for agent in cc.agents.values():
                if agent.logged_in and agent.status in PAUSED_LIKE and agent.pause_id:
                    users.setdefault(agent.pause_id, []).append(agent.id)
            return _Reply(
                {
                    pause_id: {"id": pause_id, "count": str(len(ids)), "users": ids}
                    for pause_id, ids in sorted(users.items(), key=lambda item: int(item[0]))
                }
            )

    def _rt_stats_sessions(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        users = self._multi(request, "users")
        queues = self._multi(request, "queues")
        with self.engine.locked() as cc:
            result = {}
            for agent in cc.agents.values():
                if not agent.logged_in or (users is not None and agent.id not in users):
                    continue
                logged = [q for q in agent.queue_ids if cc.memberships[(agent.id, q)].logged_in]
                if queues is not None and not set(logged) & set(queues):
                    continue
                state = self._user_state(agent)
                result[agent.id] = {
                    "id": agent.id,
                    "extension": agent.extension,
                    "queues": logged,
                    "state": state["agent_state"],
                    "pause": state["id_pause"],
                    "state_time_absolute": self._local(agent.status_since),
                    "state_time_relative": self._seconds(agent.status_since),
                    "login_time_absolute": self._local(agent.logged_in_at),
                    "login_time_relative": self._seconds(agent.logged_in_at),
                }
            return _Reply(result)

    def _device_states(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        with self.engine.locked() as cc:
            result = []
            for agent in cc.agents.values():
                if not agent.device_ok:
                    result.append(
                        {
                            "exten": agent.extension,
                            "status": "UNAVAILABLE",
                            "ip": "-none-",
                            "port": "0",
                        }
                    )
                    continue
                status = {
                    AgentStatus.RINGING: "RINGING",
                    AgentStatus.DIALING: "INUSE",
                    AgentStatus.TALKING: "INUSE",
                    AgentStatus.ON_HOLD: "ONHOLD",
                }.get(agent.status, "AVAILABLE")
                result.append(
                    {
                        "exten": agent.extension,
                        "status": status,
                        "ip": f"10.20.{agent.seq // 250}.{agent.seq % 250 + 1}",
                        "port": "5060",
                    }
                )
            return _Reply(result)

    # ------------------------------------------------------------------ actions

    def _act(self, fn: Callable[[], Json], errors: dict[str, str] | None = None) -> Json:
        """Run an engine action, turning ``SimError`` into the action's Czech error."""
        try:
            return fn()
        except SimError as err:
            texts = {**_ERRORS, **(errors or {})}
            message = texts.get(err.kind, _ERRORS["refused"])
            raise DaktelaError(message.format(number=err.call_number or "")) from err

    def _pause_on(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        agent = self._agent(request)
        pause_id = request.param("pause")
        if not pause_id or pause_id not in self.engine.pauses:
            raise DaktelaError(_ERRORS["pause"])
        force = (request.param("force") or "").lower() in YES
        self._act(
            lambda: self.engine.pause(agent.id, pause_id, force=force),
            {
                "refused": _ERRORS["pause_refused"] if agent.logged_in else _ERRORS["not_logged"],
                "not_found": _ERRORS["pause"],
            },
        )
        return _Reply(shape="bare")

    def _pause_off(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        agent = self._agent(request)
        self._act(lambda: self.engine.unpause(agent.id), {"refused": _ERRORS["not_logged"]})
        return _Reply(shape="bare")

    def _monitoring(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        agent = self._agent(request, extension_names=("exten", "extension"))
        listener = self._required(request, "listener")
        mode = request.param("mode") or "spy"
        session = self._act(
            lambda: self.engine.monitor(agent.id, listener, mode),
            {"refused": _ERRORS["no_call"], "invalid": _ERRORS["mode"]},
        )
        with self.engine.locked() as cc:
            call = cc.calls.get(session.call_id)
            if call is None:
                raise DaktelaError(_ERRORS["no_call"])
            queue = cc.queues.get(call.queue_id or "")
            return _Reply(
                {
                    "calling_direction": call.direction.value,
                    "calling_number": call.caller,
                    "calling_queue": queue.number if queue else "",
                    "calling_queue_name": queue.name if queue else "",
                    "ringing": self._seconds(call.ringing_at, call.answered_at),
                    "billsec": self._seconds(call.answered_at),
                }
            )

    def _transfer(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        agent = self._agent(request)
        with self.engine.locked():  # the call as of now, not as of the last request
            call_id = agent.call_id
        if call_id is None:
            raise DaktelaError(_ERRORS["no_call"])
        number = request.param("number")
        dst_queue = request.param("dst_queue")
        dst_user = request.param("dst_user")
        if sum(bool(x) for x in (number, dst_queue, dst_user)) != 1:
            raise DaktelaError(_ERRORS["params"].format(name="number | dst_queue | dst_user"))
        attended = (request.param("type") or "attended") != "blind"
        self._act(
            lambda: self.engine.transfer(
                call_id,
                to_agent=dst_user or None,
                to_queue=dst_queue or None,
                to_number=number or None,
                attended=attended,
            ),
            {"not_found": _ERRORS["queue"] if dst_queue else _ERRORS["user"]},
        )
        return _Reply(shape="bare")

    def _hangup(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        call_id = request.param("call")
        if call_id:
            self._act(lambda: self.engine.hangup(call_id), {"not_found": _ERRORS["call"]})
        else:
            agent = self._agent(request)
            self._act(lambda: self.engine.hangup_agent(agent.id), {"refused": _ERRORS["no_call"]})
        return _Reply(shape="bare")

    def _login_queue(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        agent = self._agent(request)
        queue = self._queue_by_number(request)
        priority_text = request.param("priority")
        priority = None
        if priority_text not in (None, ""):
            if priority_text not in ("0", "1", "2"):
                raise DaktelaError(_ERRORS["priority"])
            priority = int(priority_text)
        extension = request.param("extension")
        if extension and not agent.logged_in:
            self._act(lambda: self.engine.login(agent.id, extension))
        self._act(
            lambda: self.engine.login_queue(agent.id, queue.id, priority),
            {"refused": _ERRORS["not_logged"]},
        )
        return _Reply(shape="bare")

    def _logout_queue(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        agent = self._agent(request)
        queue = self._queue_by_number(request)
        self._act(
            lambda: self.engine.logout_queue(agent.id, queue.id),
            {"refused": _ERRORS["logout_queue"], "not_found": _ERRORS["queue"]},
        )
        return _Reply(shape="bare")

    def _login(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        agent = self._agent(request)
        extension = request.param("extension")
        self._act(lambda: self.engine.login(agent.id, extension or None))
        return _Reply(None)

    def _logout(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        agent = self._agent(request)
        self._act(lambda: self.engine.logout(agent.id))
        return _Reply(None)

    def _pickup(self, request: SimRequest, version: tuple[int, ...], id_: str | None) -> _Reply:
        agent = self._agent(request)
        call_id = self._required(request, "call_id")
        self._act(lambda: self.engine.pickup(agent.id, call_id), {"not_found": _ERRORS["call"]})
        return _Reply([])

    def _create_call(
        self, request: SimRequest, version: tuple[int, ...], id_: str | None
    ) -> _Reply:
        agent = self._agent(request)
        number = self._required(request, "number")
        call_id = self._act(
            lambda: self.engine.originate(agent.id, number),
            {"refused": _ERRORS["create_call"] if not agent.logged_in else _ERRORS["refused"]},
        )
        return _Reply({"id_call": call_id}, shape="error_first")


def _php_json(value: Json) -> str:
    """JSON as PHP's ``json_encode`` writes it: ``\\uXXXX`` for non-ASCII, ``\\/`` for ``/``."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def _xml_element(key: str, value: Json) -> str:
    if ELEMENT_NAME.fullmatch(key) and not key.lower().startswith("xml"):
        open_tag, close_tag = f"<{key}", f"</{key}>"
    else:
        open_tag, close_tag = f"<item key={quoteattr(key)}", "</item>"
    if value is None:
        return f"{open_tag}/>"
    return f"{open_tag}>{_xml_content(value)}{close_tag}"


def _xml_content(value: Json) -> str:
    if isinstance(value, dict):
        return "".join(_xml_element(str(k), v) for k, v in value.items())
    if isinstance(value, list):
        return "".join(
            "<item/>" if item is None else f"<item>{_xml_content(item)}</item>" for item in value
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))
