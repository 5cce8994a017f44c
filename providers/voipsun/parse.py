"""VoIPSUN replies (bytes) → the normalised model.

Pure functions: no HTTP, no clock, no Django. They raise only ``ProviderError`` subclasses.

Quirks of the VoIPSUN simple HTTP API this module survives (manual ``002``):

- every value is a string (``"calls":"0"``, ``"paused":"1"``), except in ``sipstatus`` where
  ``success`` is a JSON boolean and ``id`` a number;
- ``members`` and ``waiters`` of ``queuestatus`` are objects keyed by agent name / position;
- the documented ``agentstatus`` reply is not valid JSON: ``{"success":"true":"reason":"…"}``;
- errors are ``{"success":"false","errno":"…","reason":"…"}`` with the errnos 100…812 below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import (
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    UnsupportedActionError,
)
from ..model import (
    ActiveCall,
    Agent,
    AgentStatus,
    CallDirection,
    Membership,
    Queue,
    WaitingCall,
)

VENDOR_TEXT_LIMIT = 200

# ---------------------------------------------------------------------------------------------
# Errors

_AGENT_OR_PIN = "The agent was not found or the agent PIN is wrong"
_ONE_SOURCE = "Give only one way to pick the line to call first"

#: errno → (error class, message for a supervisor, the manual's own reason text)
ERRNOS: dict[str, tuple[type[ProviderError], str, str]] = {
    "100": (
        ProviderAuthError,
        "The PBX refused the API username or password, or the API user lacks permissions",
        "Unauthorized user or bad permissions",
    ),
    "110": (
        UnsupportedActionError,
        "This PBX does not know the requested API action",
        "Unknown action",
    ),
    "120": (
        ProviderRefusedError,
        "The PBX says a required parameter is missing",
        "Missing required parameters",
    ),
    # originate
    "200": (
        ProviderRefusedError,
        _ONE_SOURCE,
        "Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, "
        "srcSipUsername",
    ),
    "201": (
        ProviderRefusedError,
        "Several lines share this internal number; the dial plan must be named",
        "Parameter dialPlanName missing",
    ),
    "202": (ProviderNotFoundError, "The line was not found", "Extension not found"),
    "203": (ProviderNotFoundError, "The dial plan was not found", "Dialplan not found"),
    "210": (
        ProviderRefusedError,
        "The line is registered from a different IP address than required",
        "SIP host IP address mismatch.",
    ),
    "211": (
        ProviderRefusedError,
        "The line's contact IP address differs from the required one",
        "SIP host contact IP address mismatch.",
    ),
    "220": (ProviderRefusedError, "The line is unreachable", "SIP channel is unreacheable"),
    "221": (
        ProviderRefusedError,
        "The line is free but reserved",
        "SIP channel status - Channel is down, but reservered",
    ),
    "222": (
        ProviderRefusedError,
        "The phone is off the hook",
        "SIP channel status - Channel is off hook",
    ),
    "223": (
        ProviderRefusedError,
        "The line is dialling a number",
        "SIP channel status - Digits (or equivalent) have been dialed",
    ),
    "224": (ProviderRefusedError, "The line is ringing", "SIP channel status - Line is ringing"),
    "225": (
        ProviderRefusedError,
        "The other end is ringing",
        "SIP channel status - Remote end is ringing",
    ),
    "226": (ProviderRefusedError, "The line is on a call", "SIP channel status - Line is up"),
    "227": (ProviderRefusedError, "The line is busy", "SIP channel status - Line is busy"),
    "228": (
        ProviderRefusedError,
        "The line check stopped the call although the line is free",
        "SIP channel stauts - Channel is down and available",
    ),
    # dial
    "250": (ProviderNotFoundError, "The outbound route was not found", "Outroute not found!"),
    # spying
    "300": (
        ProviderRefusedError,
        "Give only one way to pick the listener's line",
        "Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, "
        "srcSipUsername",
    ),
    "301": (
        ProviderRefusedError,
        "Give only one way to pick the line or call to listen to",
        "Use only one of next variables: dstExtenPublicNum, dstExtenInternalNum, dstExtenId, "
        "dstSipUsername, dstChannelName",
    ),
    "302": (
        ProviderRefusedError,
        "Several lines share the listener's internal number; the dial plan must be named",
        "Source parameter srcDialplanName missing",
    ),
    "303": (
        ProviderNotFoundError,
        "The listener's line was not found",
        "Source extension not found",
    ),
    "304": (
        ProviderNotFoundError,
        "The listener's dial plan was not found",
        "Source dialplan not found",
    ),
    "310": (
        ProviderRefusedError,
        "Several lines share the listened line's internal number; the dial plan must be named",
        "Destination parameter dstDialplanName missing",
    ),
    "311": (
        ProviderNotFoundError,
        "The line to listen to was not found",
        "Destination extension not found",
    ),
    "312": (
        ProviderNotFoundError,
        "The dial plan of the line to listen to was not found",
        "Destination dialplan not found",
    ),
    # hangupcall
    "400": (
        ProviderRefusedError,
        "No call channel was given to hang up",
        "Parameter channelName is empty",
    ),
    # agentlogin
    "500": (
        ProviderNotFoundError,
        _AGENT_OR_PIN,
        "Agent not found, or bad authorization credentials!",
    ),
    "501": (
        ProviderRefusedError,
        "Give only one way to pick the line the agent logs in from",
        "Use only one of next variables: srcExtenPublicNum, srcExtenInternalNum, srcExtenId, "
        "srcSipUsername.",
    ),
    "502": (
        ProviderRefusedError,
        "Several lines share the agent's internal number; the dial plan must be named",
        "Parameter dialPlanName missing",
    ),
    "503": (ProviderNotFoundError, "The agent's line was not found", "Extension not found"),
    "504": (ProviderNotFoundError, "The agent's dial plan was not found", "Dialplan not found"),
    # agentlogout, agentpause, agentunpause
    "550": (
        ProviderNotFoundError,
        _AGENT_OR_PIN,
        "Agent not found, or bad authorization credentials!",
    ),
    "580": (
        ProviderNotFoundError,
        _AGENT_OR_PIN,
        "Agent not found, or bad authorization credentials!",
    ),
    "590": (
        ProviderNotFoundError,
        _AGENT_OR_PIN,
        "Agent not found, or bad authorization credentials!",
    ),
    # agentadd, agentremove
    "600": (ProviderNotFoundError, "The queue was not found", "Queue FrontaABC not found!"),
    "601": (
        ProviderNotFoundError,
        _AGENT_OR_PIN,
        "Agent not found, or bad authorization credentials!",
    ),
    "610": (ProviderNotFoundError, "The queue was not found", "Queue FrontaABC not found!"),
    "611": (
        ProviderNotFoundError,
        _AGENT_OR_PIN,
        "Agent not found, or bad authorization credentials!",
    ),
    # agentstatus
    "620": (
        ProviderNotFoundError,
        _AGENT_OR_PIN,
        "Agent not found, or bad authorization credentials!",
    ),
    "630": (ProviderRefusedError, "The agent's line is unreachable", "SIP channel is unreacheable"),
    "631": (ProviderRefusedError, "The agent's line is unavailable", "Line is unavailable'"),
    "632": (ProviderRefusedError, "The agent's line is in use", "Line is In use"),
    "633": (ProviderRefusedError, "The agent's line is ringing", "Line is ringing"),
    "634": (ProviderRefusedError, "The agent's line has a call on hold", "Line in On hold"),
    "635": (ProviderRefusedError, "The agent's line is not free", "Line is not free"),
    "636": (ProviderRefusedError, "The agent's line is busy", "Line is busy"),
    # moverecord
    "800": (ProviderNotFoundError, "The call record was not found", "CDR record not found!"),
    "801": (
        ProviderNotFoundError,
        "The call record has no recording",
        "CDR not contain any information about audio record!",
    ),
    "810": (
        ProviderRefusedError,
        "The PBX cannot create the destination folder for the recording",
        "Destination folder does not exist and mkdir command failed. Please check parent "
        "folder permissions!'",
    ),
    "811": (
        ProviderNotFoundError,
        "The recording file is missing or unreadable",
        "Source file (FILENAME) not exist or insufficient permissions to read them!",
    ),
    "812": (
        ProviderRefusedError,
        "The PBX cannot move the recording into the destination folder",
        "Cannot move file to (NEW FILENAME). Check destination folder permissions!",
    ),
}

#: agentstatus errnos that report the agent's line state rather than a failure.
AGENTSTATUS_LINE_ERRNOS: dict[str, AgentStatus] = {
    "630": AgentStatus.UNAVAILABLE,
    "631": AgentStatus.UNAVAILABLE,
    "632": AgentStatus.TALKING,
    "633": AgentStatus.RINGING,
    "634": AgentStatus.ON_HOLD,
    "635": AgentStatus.TALKING,
    "636": AgentStatus.TALKING,
}

_PRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\uffff]")


def _vendor_text(value: object) -> str:
    """The vendor's own text, safe to show: printable, one line, bounded."""
    text = _PRINTABLE.sub(" ", value if isinstance(value, str) else "").strip()
    if len(text) > VENDOR_TEXT_LIMIT:
        text = text[: VENDOR_TEXT_LIMIT - 1] + "…"
    return text


def error_for(errno: str, reason: str | None = None) -> ProviderError:
    """The ``ProviderError`` for a VoIPSUN ``errno``, quoting the PBX's own reason."""
    code = _vendor_text(errno)[:12] or None
    entry = ERRNOS.get(code or "")
    vendor_text = _vendor_text(reason) or (entry[2] if entry else "")
    if entry is None:
        cls: type[ProviderError] = ProviderRefusedError
        message = "VoIPSUN PBX refused the request"
    else:
        cls, message = entry[0], f"VoIPSUN PBX: {entry[1]}"
    message = f'{message} (PBX said: "{vendor_text}").' if vendor_text else f"{message}."
    return cls(message, code=code)


# ---------------------------------------------------------------------------------------------
# Reading replies


def _reject_constant(name: str) -> object:
    raise ValueError(f"non-standard JSON constant {name}")


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProviderBadResponseError("VoIPSUN PBX sent a reply that is not UTF-8 text.") from None


def _load_json(text: str) -> object:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ProviderBadResponseError("VoIPSUN PBX sent a reply that is not JSON.") from None


def _is_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _is_false(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _raise_if_error(reply: Mapping[str, object]) -> None:
    success = reply.get("success")
    if _is_true(success):
        return
    if _is_false(success) or "errno" in reply:
        errno = reply.get("errno")
        raise error_for(_str(errno), _str(reply.get("reason")))
    raise ProviderBadResponseError("VoIPSUN PBX sent a reply without a success flag.")


def read_reply(body: bytes) -> dict[str, object]:
    """A JSON object reply whose ``success`` is true; an error reply raises its errno's error."""
    reply = _load_json(_decode(body))
    if not isinstance(reply, dict):
        raise ProviderBadResponseError("VoIPSUN PBX sent a JSON reply that is not an object.")
    _raise_if_error(reply)
    return reply


def check_action(body: bytes) -> None:
    """An action's ``{"success":"true"}`` reply; anything else raises."""
    read_reply(body)


# ---------------------------------------------------------------------------------------------
# Values: everything arrives as a string

_INT = re.compile(r"-?[0-9]{1,15}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")


def _str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _int(value: object, what: str) -> int | None:
    """``"12"`` → 12; missing/null/empty → None; anything else is a bad reply."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15:
        return value
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value.strip())
    raise ProviderBadResponseError(f"VoIPSUN PBX sent a non-numeric {what}.")


def _float(value: object, what: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 10**15:
        return float(value)
    if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        return float(value.strip())
    raise ProviderBadResponseError(f"VoIPSUN PBX sent a non-numeric {what}.")


def _flag(value: object) -> bool:
    return _str(value).strip() in ("1", "true", "True")


def _object(value: object, what: str) -> dict[str, object]:
    """``members``/``waiters`` are objects keyed by name/position; an empty one may be ``[]``."""
    if value is None or value == [] or value == "":
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, list):  # tolerate a PHP list, but every entry must be an object
        return {str(i): v for i, v in enumerate(value, start=1)}
    raise ProviderBadResponseError(f"VoIPSUN PBX sent {what} in an unexpected shape.")


def _results(reply: Mapping[str, object], what: str) -> list[dict[str, object]]:
    results = reply.get("results")
    if results is None:
        return []
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise ProviderBadResponseError(f"VoIPSUN PBX sent {what} in an unexpected shape.")
    return list(results)


def peer_of(channel: str) -> str:
    """``"SIP/Linka_1000"`` or ``"SIP/555-0000b70f"`` → the SIP peer (``Linka_1000``, ``555``)."""
    _, _, rest = channel.replace("\\", "/").partition("/")
    if not rest:
        return ""
    peer, sep, suffix = rest.rpartition("-")
    if sep and re.fullmatch(r"[0-9a-fA-F]{8}", suffix):
        return peer
    return rest


# ---------------------------------------------------------------------------------------------
# Agent status: Asterisk device state + paused + isInCall + line text

#: Asterisk device state (the member's numeric ``status``).
DEVICE_STATES: dict[str, AgentStatus] = {
    "0": AgentStatus.UNKNOWN,  # AST_DEVICE_UNKNOWN
    "1": AgentStatus.IDLE,  # NOT_INUSE
    "2": AgentStatus.TALKING,  # INUSE
    "3": AgentStatus.TALKING,  # BUSY
    "4": AgentStatus.UNAVAILABLE,  # INVALID
    "5": AgentStatus.UNAVAILABLE,  # UNAVAILABLE
    "6": AgentStatus.RINGING,  # RINGING
    "7": AgentStatus.RINGING,  # RINGINUSE
    "8": AgentStatus.ON_HOLD,  # ONHOLD
}

#: The line texts of ``channelStatus`` and ``agentstatus`` (lower case, no final dot).
LINE_TEXTS: dict[str, AgentStatus] = {
    "line is free": AgentStatus.IDLE,
    "line is in use": AgentStatus.TALKING,
    "line is busy": AgentStatus.TALKING,
    "line is not free": AgentStatus.TALKING,
    "line is ringing": AgentStatus.RINGING,
    "line is on hold": AgentStatus.ON_HOLD,
    "line in on hold": AgentStatus.ON_HOLD,  # errno 634's spelling
    "line is unavailable": AgentStatus.UNAVAILABLE,
    "sip channel is unreacheable": AgentStatus.UNAVAILABLE,
    "sip channel is unreachable": AgentStatus.UNAVAILABLE,
}


def line_status(text: str) -> AgentStatus | None:
    return LINE_TEXTS.get(text.strip().rstrip(".'").strip().lower())


def member_status(
    *, device_state: str, paused: bool, in_call: bool, line_text: str, registered: bool | None
) -> AgentStatus:
    """DESIGN §3: the more specific signal wins.

    Paused first (a call, if any, shows in the active calls); then the call flag and the line
    text over the numeric device state; an unregistered line makes an agent who is neither
    paused nor on a call UNAVAILABLE. "Line is not free" is vague: the device state refines
    it when it can.
    """
    line = line_status(line_text)
    device = DEVICE_STATES.get(device_state.strip())
    if paused:
        return AgentStatus.PAUSED
    if in_call:
        return AgentStatus.ON_HOLD if AgentStatus.ON_HOLD in (line, device) else AgentStatus.TALKING
    if registered is False:
        return AgentStatus.UNAVAILABLE
    if line is None:
        return device or AgentStatus.UNKNOWN
    vague = line_text.strip().rstrip(".").lower() == "line is not free"
    if vague and device in (AgentStatus.RINGING, AgentStatus.ON_HOLD):
        return device
    return line


def _raw_member_status(line_text: str, device_state: str, paused: bool, in_call: bool) -> str:
    parts = [_vendor_text(line_text) or f"status {_vendor_text(device_state) or '?'}"]
    if in_call:
        parts.append("in call")
    if paused:
        parts.append("paused")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# sipstatus


@dataclass(frozen=True, slots=True)
class SipLine:
    """One SIP peer of ``sipstatus``: is a phone registered on it?"""

    user: str
    registered: bool
    raw_status: str
    kind: str


_UNSPECIFIED_HOSTS = frozenset({"", "(unspecified)", "0.0.0.0"})  # noqa: S104 - a value we read


def parse_sip_status(body: bytes) -> dict[str, SipLine]:
    """``sipstatus`` → SIP user → registration.

    Registered: qualify says ``OK (… ms)`` or ``LAGGED``; or (qualify off — ``Unmonitored`` /
    ``UNKNOWN``) Asterisk knows a host and port for the peer. ``UNREACHABLE`` is not registered.
    """
    lines: dict[str, SipLine] = {}
    for entry in _results(read_reply(body), "the SIP status list"):
        user = _str(entry.get("user"))
        if not user:
            continue
        status = _str(entry.get("status"))
        host = _str(entry.get("host")).strip().lower()
        port = _str(entry.get("port")).strip()
        upper = status.strip().upper()
        if upper.startswith(("OK", "LAGGED")):
            registered = True
        elif upper.startswith("UNREACHABLE"):
            registered = False
        else:
            registered = host not in _UNSPECIFIED_HOSTS and port not in ("", "0")
        lines[user] = SipLine(
            user=user,
            registered=registered,
            raw_status=_vendor_text(status),
            kind=_str(entry.get("type")),
        )
    return lines


# ---------------------------------------------------------------------------------------------
# queuestatus


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """One ``queuestatus`` reply, normalised. ``lines`` maps agent id → the SIP peer the
    agent is logged in from (to find the agent's calls in ``listcalls``)."""

    queue: Queue
    agents: tuple[Agent, ...]
    memberships: tuple[Membership, ...]
    waiting_calls: tuple[WaitingCall, ...]
    lines: Mapping[str, str]


_BUSY = frozenset(
    {
        AgentStatus.TALKING,
        AgentStatus.RINGING,
        AgentStatus.ON_HOLD,
        AgentStatus.DIALING,
        AgentStatus.WRAP_UP,
    }
)

_LOCATION = re.compile(r"^[A-Za-z]+[/\\]([^@/\\]+)@")


def _extension_of(location: str) -> str | None:
    """``"Local/1000@extensions-dialplanid-1"`` → ``"1000"``."""
    match = _LOCATION.match(location)
    return match.group(1) if match else None


def parse_queue_status(
    body: bytes, queue_name: str, *, sip_lines: Mapping[str, SipLine] | None = None
) -> QueueStatus:
    """``queuestatus`` for ``queue_name`` → queue metrics, agents, memberships, waiters."""
    reply = read_reply(body)
    results = _results(reply, "the queue status")
    entry = next((r for r in results if _str(r.get("queueName")) == queue_name), None)
    if entry is None:
        if not results:
            raise ProviderNotFoundError(
                f"VoIPSUN PBX does not know queue {_vendor_text(queue_name)}."
            )
        if len(results) != 1:
            raise ProviderBadResponseError(
                f"VoIPSUN PBX sent no status for queue {_vendor_text(queue_name)}."
            )
        entry = results[0]
    agents: list[Agent] = []
    memberships: list[Membership] = []
    lines: dict[str, str] = {}
    for key, member in _object(entry.get("members"), "the queue members").items():
        if not isinstance(member, dict):
            raise ProviderBadResponseError("VoIPSUN PBX sent the queue members in a bad shape.")
        agent_id = _str(member.get("agentName")) or str(key)
        logged_from = _str(member.get("loggedFrom"))
        peer = peer_of(logged_from)
        sip_line = (sip_lines or {}).get(peer) if peer else None
        device_state = _str(member.get("status"))
        paused = _flag(member.get("paused"))
        in_call = _flag(member.get("isInCall"))
        line_text = _str(member.get("channelStatus"))
        status = member_status(
            device_state=device_state,
            paused=paused,
            in_call=in_call,
            line_text=line_text,
            registered=sip_line.registered if sip_line else None,
        )
        raw = _raw_member_status(line_text, device_state, paused, in_call)
        if sip_line is not None and not sip_line.registered:
            raw = f"{raw}, line not registered"
        agents.append(
            Agent(
                id=agent_id,
                login=agent_id,
                name=agent_id,
                status=status,
                raw_status=raw,
                extension=_extension_of(_str(member.get("location"))),
            )
        )
        memberships.append(
            Membership(
                agent_id=agent_id,
                queue_id=queue_name,
                penalty=_int(member.get("penalty"), "penalty"),
                static=_str(member.get("membership")).strip().lower() == "static",
                logged_in=True,
            )
        )
        if peer:
            lines[agent_id] = peer
    waiting: list[WaitingCall] = []
    waiters_present = "waiters" in entry
    for key, waiter in _object(entry.get("waiters"), "the waiting callers").items():
        if not isinstance(waiter, dict):
            raise ProviderBadResponseError("VoIPSUN PBX sent the waiting callers in a bad shape.")
        position = _int(waiter.get("position"), "caller position") or _int(key, "position")
        caller = _str(waiter.get("callerIdNum"))
        waiting.append(
            WaitingCall(
                queue_id=queue_name,
                position=position or len(waiting) + 1,
                caller=caller,
                wait_s=_int(waiter.get("wait"), "wait time"),
                caller_name=_str(waiter.get("callerIdName")) or None,
                call_id=_str(waiter.get("uniqueid")) or None,
            )
        )
    counter = _int(entry.get("calls"), "calls count")
    waits = [w.wait_s for w in waiting if w.wait_s is not None]
    capacity = _int(entry.get("max"), "queue capacity")
    statuses = [a.status for a in agents]
    answered = _int(entry.get("completed"), "completed calls")
    abandoned = _int(entry.get("abandoned"), "abandoned calls")
    # Asterisk reports a service level of 0 before any call has finished: that is "no data".
    no_calls_yet = answered == 0 and abandoned == 0
    queue = Queue(
        id=queue_name,
        name=_str(entry.get("queueName")) or queue_name,
        calls_waiting=len(waiting) if waiters_present else counter,
        longest_wait_s=max(waits) if waits else (0 if waiters_present else None),
        agents_total=len(agents),
        agents_ready=statuses.count(AgentStatus.IDLE),
        agents_busy=sum(1 for s in statuses if s in _BUSY),
        agents_paused=statuses.count(AgentStatus.PAUSED),
        answered=answered,
        abandoned=abandoned,
        service_level_pct=(
            None if no_calls_yet else _float(entry.get("serviceLevelPerf"), "service level")
        ),
        sl_threshold_s=_int(entry.get("serviceLevel"), "service level threshold"),
        avg_wait_s=_int(entry.get("holdTime"), "hold time"),
        avg_talk_s=_int(entry.get("talkTime"), "talk time"),
        capacity=capacity or None,  # Asterisk: max 0 = no limit
    )
    return QueueStatus(
        queue=queue,
        agents=tuple(agents),
        memberships=tuple(memberships),
        waiting_calls=tuple(waiting),
        lines=lines,
    )


# ---------------------------------------------------------------------------------------------
# agentstatus — its documented reply is not valid JSON

#: Exactly the documented shape ``{"success":"true":"reason":"…"}`` (a colon where a comma
#: belongs). Nothing else is repaired.
_AGENTSTATUS_QUIRK = re.compile(
    r'\s*\{\s*"success"\s*:\s*"(true|false)"\s*:\s*"reason"\s*:\s*"((?:[^"\\]|\\.)*)"\s*\}\s*'
)
_AGENT_LOGGED = re.compile(r"Agent\s+(.*?)\s+is\s+logged\s+(in|out)\b\.?\s*(.*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AgentLineState:
    """What ``agentstatus`` says about one agent."""

    logged_in: bool
    status: AgentStatus
    raw_status: str


def read_agent_status_reply(body: bytes) -> dict[str, object]:
    """The ``agentstatus`` reply as an object, valid JSON or the documented broken shape."""
    text = _decode(body)
    match = _AGENTSTATUS_QUIRK.fullmatch(text)
    if match is None:
        reply = _load_json(text)
        if not isinstance(reply, dict):
            raise ProviderBadResponseError(
                "VoIPSUN PBX sent an agent status that is not an object."
            )
        return reply
    reason = _load_json(f'"{match.group(2)}"')
    return {"success": match.group(1), "reason": reason}


def parse_agent_status(body: bytes) -> AgentLineState:
    """``agentstatus`` → logged in or out, and the line state.

    "Agent 1000 is logged out." ⇒ OFFLINE; "… is logged in. Line is free" ⇒ IDLE, etc.; logged
    in with no line text ⇒ LOGGED_IN. The errnos 630-636 describe the line of a logged-in agent
    and are read as that state; other errnos raise.
    """
    reply = read_agent_status_reply(body)
    errno = _str(reply.get("errno")).strip()
    if not _is_true(reply.get("success")) and errno in AGENTSTATUS_LINE_ERRNOS:
        reason = _vendor_text(reply.get("reason")) or ERRNOS[errno][2]
        return AgentLineState(
            logged_in=True, status=AGENTSTATUS_LINE_ERRNOS[errno], raw_status=reason
        )
    _raise_if_error(reply)
    reason = _str(reply.get("reason"))
    match = _AGENT_LOGGED.search(reason)
    if match is None:
        return AgentLineState(
            logged_in=True, status=AgentStatus.UNKNOWN, raw_status=_vendor_text(reason)
        )
    if match.group(2).lower() == "out":
        return AgentLineState(
            logged_in=False, status=AgentStatus.OFFLINE, raw_status=_vendor_text(reason)
        )
    line_text = match.group(3)
    if not line_text.strip():
        status = AgentStatus.LOGGED_IN
    else:
        status = line_status(line_text) or AgentStatus.UNKNOWN
    return AgentLineState(logged_in=True, status=status, raw_status=_vendor_text(reason))


# ---------------------------------------------------------------------------------------------
# listcalls

CHANNEL_STATES: dict[str, AgentStatus] = {
    "up": AgentStatus.TALKING,
    "ring": AgentStatus.DIALING,  # the channel rings out: we are placing the call
    "ringing": AgentStatus.RINGING,
    "dialing": AgentStatus.DIALING,
    "pre-ring": AgentStatus.DIALING,
    "down": AgentStatus.DIALING,
}


@dataclass(frozen=True, slots=True)
class ChannelCall:
    """One channel of ``listcalls``: an extension leg or a trunk leg of a call."""

    channel: str
    peer: str
    context: str
    source_type: str
    src: str
    dst: str
    duration_s: int | None
    status: str


def parse_channels(body: bytes) -> tuple[ChannelCall, ...]:
    """``listcalls`` → every channel the PBX reports (extension and trunk legs)."""
    reply = read_reply(body)
    channels = []
    for entry in _results(reply, "the call list"):
        channel = _str(entry.get("channelName"))
        if not channel:
            continue
        channels.append(
            ChannelCall(
                channel=channel,
                peer=peer_of(channel),
                context=_str(entry.get("context")),
                source_type=_str(entry.get("sourceType")).strip().lower(),
                src=_str(entry.get("src")),
                dst=_str(entry.get("dst")),
                duration_s=_int(entry.get("duration"), "call duration"),
                status=_str(entry.get("status")),
            )
        )
    return tuple(channels)


def _direction(context: str) -> CallDirection | None:
    lowered = context.lower()
    if lowered.startswith(("incoming", "from-trunk", "from-pstn")):
        return CallDirection.IN
    if "out" in lowered:
        return CallDirection.OUT
    return None


def active_calls(
    channels: tuple[ChannelCall, ...],
    *,
    now: datetime,
    agent_by_peer: Mapping[str, str] | None = None,
) -> tuple[ActiveCall, ...]:
    """The agents' active calls among ``listcalls``'s channels.

    Only extension legs (``sourceType`` "extension") are calls of a line a person holds; the
    trunk legs of the same calls are left out so one conversation is not counted twice.
    ``agent_by_peer`` (SIP peer → agent id, from ``queuestatus``'s ``loggedFrom``) names the
    agent; ``call_id`` and ``channel`` are the channel name that ``hangupcall`` and ``spying``
    take. ``since`` is ``now`` minus the channel's ``duration``.
    """
    calls = []
    for leg in channels:
        if leg.source_type == "trunk":
            continue
        direction = _direction(leg.context)
        calls.append(
            ActiveCall(
                call_id=leg.channel,
                agent_id=(agent_by_peer or {}).get(leg.peer),
                queue_id=None,
                direction=direction,
                number=leg.dst if direction is CallDirection.OUT else leg.src,
                state=CHANNEL_STATES.get(leg.status.strip().lower()) or AgentStatus.UNKNOWN,
                since=now - timedelta(seconds=leg.duration_s)
                if leg.duration_s is not None
                else None,
                channel=leg.channel,
            )
        )
    return tuple(calls)


def parse_list_calls(
    body: bytes, *, now: datetime, agent_by_peer: Mapping[str, str] | None = None
) -> tuple[ActiveCall, ...]:
    """``listcalls`` → the agents' active calls (see ``active_calls``)."""
    return active_calls(parse_channels(body), now=now, agent_by_peer=agent_by_peer)
