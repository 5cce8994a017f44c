"""SPIKON replies (API 1.0.3 and 1.3, JSON and XML) → the normalised model.

Pure functions from the reply's bytes; they raise only ``ProviderError`` subclasses.

Both formats are first turned into one tree of dicts, lists, strings and ints with the keys
spelled the XML way (``in_campaigns`` → ``in-campaigns``), so every reader below serves both:

- XML is parsed with ``defusedxml`` and any DTD is refused (no entity expansion, no external
  entities); ``type="integer"`` elements become ints, ``type="array"`` elements become lists.
- Lists arrive as numbered keys (``cc-campaign-1``, ``cc-campaign-2`` …) next to a ``count``
  that the manual's own samples get wrong (``<count>9</count>`` over two agents), so the keys
  present are read and the count is ignored.
- ``waiting-calls`` sits inside ``cc-monitor`` (1.3, and XML in both versions) or beside it
  (1.0.3 JSON); both placements are read.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from ..errors import (
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    ProviderUnavailableError,
    UnsupportedActionError,
)
from ..model import AgentStatus, Membership, Queue, WaitingCall

JSON_FORMAT: Final = 0
XML_FORMAT: Final = 1

Node: TypeAlias = "dict[str, Node] | list[Node] | str | int | float | bool | None"

MAX_DEPTH: Final = 32

# -- decoding --------------------------------------------------------------------------------


def _normalise_key(key: str) -> str:
    return key.strip().replace("_", "-").lower()


def _normalise(value: object, depth: int = 0) -> Node:
    if depth > MAX_DEPTH:
        raise ProviderBadResponseError("The SPIKON reply is nested too deeply.")
    if isinstance(value, dict):
        return {_normalise_key(str(k)): _normalise(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ProviderBadResponseError("The SPIKON reply holds a number that is not finite.")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ProviderBadResponseError("The SPIKON reply holds a value of an unexpected type.")


def _from_element(element: Element, depth: int = 0) -> Node:
    if depth > MAX_DEPTH:
        raise ProviderBadResponseError("The SPIKON reply is nested too deeply.")
    kind = element.get("type", "")
    children = list(element)
    if kind == "array":
        return [_from_element(child, depth + 1) for child in children]
    if not children:
        text = (element.text or "").strip()
        if kind == "integer":
            if not re.fullmatch(r"[+-]?\d{1,18}", text):
                raise ProviderBadResponseError(
                    f"The SPIKON reply has a non-integer value in <{str(element.tag)[:40]}>."
                )
            return int(text)
        return text
    tree: dict[str, Node] = {}
    repeated: set[str] = set()
    for child in children:
        key = _normalise_key(str(child.tag))
        value = _from_element(child, depth + 1)
        previous = tree.get(key)
        if key in repeated and isinstance(previous, list):
            previous.append(value)
        elif key in tree:  # a tag that repeats is a list
            tree[key] = [previous, value]
            repeated.add(key)
        else:
            tree[key] = value
    return tree


def decode(body: bytes, api_format: int) -> dict[str, Node]:
    """Turn a reply into the common tree, raising the vendor's error if the reply is one."""
    if api_format == XML_FORMAT:
        try:
            root = SafeET.fromstring(body, forbid_dtd=True)
        except defusedxml.DefusedXmlException as err:
            raise ProviderBadResponseError(
                "The SPIKON reply was refused: it declares a DTD or entities (unsafe XML)."
            ) from err
        except (ParseError, ValueError, UnicodeError, LookupError) as err:  # LookupError:
            # an encoding Python does not know, e.g. encoding="TTF-8"
            raise ProviderBadResponseError("The SPIKON reply is not well-formed XML.") from err
        except RecursionError as err:
            raise ProviderBadResponseError("The SPIKON reply is nested too deeply.") from err
        tree: dict[str, Node] = {_normalise_key(str(root.tag)): _from_element(root)}
    elif api_format == JSON_FORMAT:
        try:
            loaded = json.loads(body)
        except (ValueError, UnicodeError) as err:  # JSONDecodeError is a ValueError
            raise ProviderBadResponseError("The SPIKON reply is not valid JSON.") from err
        except RecursionError as err:
            raise ProviderBadResponseError("The SPIKON reply is nested too deeply.") from err
        if not isinstance(loaded, dict):
            raise ProviderBadResponseError("The SPIKON reply is not a JSON object.")
        tree = {_normalise_key(str(k)): _normalise(v, 1) for k, v in loaded.items()}
    else:
        raise ProviderBadResponseError(f"Unknown SPIKON api_format {api_format!r}.")
    raise_for_error(tree)
    return tree


# -- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ErrorKind:
    error: type[ProviderError]
    name: str
    message: str


# Every id in both manuals' error tables (1.0.3: -1…-11, -1000; 1.3 adds -12).
ERRORS: Final[Mapping[int, _ErrorKind]] = {
    -1: _ErrorKind(
        UnsupportedActionError,
        "Unknown method",
        "SPIKON does not know this API method; check the account's API version setting.",
    ),
    -2: _ErrorKind(
        ProviderAuthError,
        "API key missing",
        "SPIKON received no API key; enter the key in the account settings.",
    ),
    -3: _ErrorKind(
        ProviderAuthError,
        "Unknown API key",
        "SPIKON does not recognise the API key; it changes whenever a new key is generated in "
        "the SPIKON panel (Ustawienia i dodatki → API - ustawienia).",
    ),
    -4: _ErrorKind(
        ProviderAuthError,
        "API turned off",
        "The SPIKON API is switched off for this account; switch it on in the SPIKON panel "
        "(Ustawienia i dodatki → API - ustawienia).",
    ),
    -5: _ErrorKind(
        ProviderAuthError,
        "IP address not whitelisted",
        "SPIKON does not accept requests from this server's IP address; add it to the API "
        "whitelist in the SPIKON panel.",
    ),
    -6: _ErrorKind(
        ProviderRefusedError,
        "Wrong value for parameter",
        "SPIKON refused a parameter value.",
    ),
    -7: _ErrorKind(
        ProviderRefusedError,
        "Parameter missing",
        "SPIKON says a required parameter is missing.",
    ),
    -8: _ErrorKind(
        ProviderNotFoundError,
        "No elements found",
        "SPIKON found nothing for this request (unknown campaign, agent or phone account).",
    ),
    -9: _ErrorKind(
        ProviderUnavailableError,
        "Not ready",
        "SPIKON has not finished preparing this result yet; try again later.",
    ),
    -10: _ErrorKind(
        ProviderRefusedError,
        "Already exist",
        "SPIKON says this already exists (e.g. the agent is already in the campaign).",
    ),
    -11: _ErrorKind(
        ProviderRefusedError,
        "Forbidden",
        "SPIKON forbids this request for this account (no access).",
    ),
    -12: _ErrorKind(
        ProviderRefusedError,
        "Data in wrong format",
        "SPIKON refused the request because a value is in the wrong format.",
    ),
    -1000: _ErrorKind(
        ProviderUnavailableError,
        "General failure, please contact service!",
        "SPIKON had an internal failure; if it persists, contact SPIKON support "
        "(serwis@spikon.pl).",
    ),
}


def _text(value: Node) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def _error_entries(tree: Mapping[str, Node]) -> list[dict[str, Node]]:
    """The ``error`` entries of an error reply, or ``[]`` when the reply is not one.

    XML (the manual's sample): ``<errors><error><id>-3</id><text>…</text></error></errors>``.
    JSON is not shown in the manual; its natural equivalents are all accepted:
    ``{"errors":{"error":{…}}}``, ``{"errors":{"error":[…]}}``, ``{"errors":[…]}`` and
    ``{"error":{…}}``.
    """
    container = tree.get("errors", tree.get("error"))
    if container is None:
        return []
    if isinstance(container, dict) and "error" in container:
        container = container["error"]
    items = container if isinstance(container, list) else [container]
    entries = [item for item in items if isinstance(item, dict)]
    if not entries:
        raise ProviderBadResponseError("SPIKON sent an error reply we cannot read.")
    return entries


def error_for(entry: Mapping[str, Node]) -> ProviderError:
    """The ``ProviderError`` for one vendor error entry (``id``, ``text``, optional ``desc``)."""
    raw_id = _text(entry.get("id"))
    vendor_text = _text(entry.get("text"))[:200]
    desc = _text(entry.get("desc"))[:200]
    try:
        error_id: int | None = int(raw_id)
    except ValueError:
        error_id = None
    kind = ERRORS.get(error_id) if error_id is not None else None
    quoted = "; ".join(part for part in (vendor_text, desc) if part)
    if kind is None:
        message = "SPIKON returned an error we do not know."
        error_class: type[ProviderError] = ProviderError
    else:
        message = kind.message
        error_class = kind.error
        quoted = quoted or kind.name
    if quoted:
        message = f'{message} SPIKON said: "{quoted}".'
    return error_class(message, code=raw_id[:20] or None)


def raise_for_error(tree: Mapping[str, Node]) -> None:
    entries = _error_entries(tree)
    if entries:
        raise error_for(entries[0])


# -- small readers ---------------------------------------------------------------------------

NO_DATA: Final = "brak danych"


def _fold(text: str) -> str:
    """Lower case without Polish diacritics: 'Zajęty' → 'zajety', 'Niedostępny' → 'niedostepny'."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


def _as_dict(value: Node, what: str) -> dict[str, Node]:
    if isinstance(value, dict):
        return value
    if value in ("", None) or value == []:
        return {}
    raise ProviderBadResponseError(f"The SPIKON reply has an unexpected shape for {what}.")


def _required_root(tree: Mapping[str, Node], key: str) -> dict[str, Node]:
    if key not in tree:
        raise ProviderBadResponseError(f"The SPIKON reply has no {key}.")
    return _as_dict(tree[key], key)


def _numbered(container: Mapping[str, Node], prefix: str) -> Iterator[tuple[int, dict[str, Node]]]:
    """The numbered entries ``<prefix>-1``, ``<prefix>-2`` … in their number's order."""
    pattern = re.compile(re.escape(prefix) + r"-(\d{1,9})")
    found: list[tuple[int, dict[str, Node]]] = []
    for key, value in container.items():
        match = pattern.fullmatch(key)
        if match:
            found.append((int(match.group(1)), _as_dict(value, key)))
    yield from sorted(found, key=lambda item: item[0])


def optional_int(value: Node) -> int | None:
    """An integer field; ``None`` for "Brak danych", empty, or anything that is not one."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value) if math.isfinite(value) else None
    text = value.strip()
    if re.fullmatch(r"[+-]?\d{1,18}", text):
        return int(text)
    return None


def optional_float(value: Node) -> float | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value) if math.isfinite(float(value)) else None
    text = value.strip().replace(",", ".").rstrip("%").strip()
    if re.fullmatch(r"[+-]?\d{1,9}(\.\d{1,9})?", text):
        return float(text)
    return None


def parse_duration(value: Node) -> int | None:
    """Seconds from "MM:SS" (or "HH:MM:SS"); a bare number is taken as seconds.

    "Brak danych" (no data), empty or unreadable values give ``None``.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return optional_int(value)
    text = _text(value)
    if not text or _fold(text) == NO_DATA:
        return None
    match = re.fullmatch(r"(?:(\d{1,4}):)?(\d{1,6}):([0-5]?\d)", text)
    if match:
        hours, minutes, seconds = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return optional_int(text)


def optional_text(value: Node) -> str | None:
    text = _text(value)
    if not text or _fold(text) == NO_DATA or text == "-":
        return None
    return text


def parse_yes_no(value: Node) -> bool | None:
    """'Tak' / 'Nie' (also 1/0, true/false); ``None`` for anything else."""
    folded = _fold(_text(value))
    if folded in ("tak", "1", "true", "yes"):
        return True
    if folded in ("nie", "0", "false", "no"):
        return False
    return None


# -- agent status (DESIGN §3, SPIKON column) -------------------------------------------------

_STATE_WORDS: Final[Mapping[str, AgentStatus]] = {
    # free
    "wolny": AgentStatus.IDLE,
    "wolna": AgentStatus.IDLE,
    "wolne": AgentStatus.IDLE,
    "dostepny": AgentStatus.IDLE,
    "dostepna": AgentStatus.IDLE,
    # busy
    "zajety": AgentStatus.TALKING,
    "zajeta": AgentStatus.TALKING,
    "zajete": AgentStatus.TALKING,
    "rozmowa": AgentStatus.TALKING,
    "w rozmowie": AgentStatus.TALKING,
    "rozmawia": AgentStatus.TALKING,
    "w uzyciu": AgentStatus.TALKING,
    # ringing
    "dzwoni": AgentStatus.RINGING,
    "dzwonienie": AgentStatus.RINGING,
    "dzwoniacy": AgentStatus.RINGING,
    "dzwoniaca": AgentStatus.RINGING,
    "dzwonek": AgentStatus.RINGING,
    # unavailable
    "niedostepny": AgentStatus.UNAVAILABLE,
    "niedostepna": AgentStatus.UNAVAILABLE,
    "niedostepne": AgentStatus.UNAVAILABLE,
    "niezarejestrowany": AgentStatus.UNAVAILABLE,
    "niezarejestrowana": AgentStatus.UNAVAILABLE,
    "brak rejestracji": AgentStatus.UNAVAILABLE,
}


def member_status(state: str, pause: bool | None) -> AgentStatus:
    """One ``cc_monitor`` member's status from its ``state`` text and ``pause`` flag.

    ``pause`` "Tak" means PAUSED whatever the line does (an agent paused during a call is on a
    break as far as the queue is concerned; the raw label still shows the line), except for
    an unreachable phone, which stays UNAVAILABLE. Texts we do not know map to UNKNOWN; the
    caller keeps the raw label for display.
    """
    status = _STATE_WORDS.get(_fold(state), AgentStatus.UNKNOWN)
    if pause and status is not AgentStatus.UNAVAILABLE:
        return AgentStatus.PAUSED
    return status


def raw_label(state: str, pause: bool | None) -> str:
    """The label shown next to the status: the vendor's state, plus the pause flag when set."""
    return f"{state} (przerwa)" if pause else state


# -- replies ---------------------------------------------------------------------------------


def parse_campaigns(body: bytes, api_format: int) -> list[Queue]:
    """``cc_campaigns/list`` → queues (id and name only; metrics come from ``cc_monitor``)."""
    campaigns = _required_root(decode(body, api_format), "cc-campaigns")
    queues: list[Queue] = []
    seen: set[str] = set()
    for _, entry in _numbered(campaigns, "cc-campaign"):
        campaign_id = _text(entry.get("id"))
        if not campaign_id:
            raise ProviderBadResponseError("A SPIKON campaign has no id.")
        if campaign_id in seen:
            continue
        seen.add(campaign_id)
        queues.append(Queue(id=campaign_id, name=_text(entry.get("name")) or campaign_id))
    return queues


@dataclass(frozen=True, slots=True)
class MonitorMember:
    """One ``cc-campaign-member-N`` of a campaign's monitor, already mapped."""

    login: str
    name: str
    state: str
    status: AgentStatus
    raw_status: str
    paused: bool
    answered: int | None
    last_call: str | None
    skill: int | None


@dataclass(frozen=True, slots=True)
class CampaignMonitor:
    """Everything one ``cc_monitor/show`` reply says about one campaign."""

    queue: Queue
    members: tuple[MonitorMember, ...]
    memberships: tuple[Membership, ...]
    waiting_calls: tuple[WaitingCall, ...]


_CALLER_KEYS: Final = ("number", "caller", "caller-id", "callerid", "src", "phone", "from")
_WAIT_KEYS: Final = ("waiting-time", "wait-time", "wait", "time", "duration")


def _waiting_call(queue_id: str, number: int, entry: Mapping[str, Node]) -> WaitingCall:
    """One waiting call. The manuals only ever show an empty ``waiting-calls``; this reads the
    shape the other lists use (``waiting-call-N`` with a number and an "MM:SS" wait) and the
    obvious alternative field names."""
    caller = next((_text(entry[k]) for k in _CALLER_KEYS if k in entry), "")
    wait = next((parse_duration(entry[k]) for k in _WAIT_KEYS if k in entry), None)
    position = optional_int(entry.get("position")) or number
    return WaitingCall(
        queue_id=queue_id,
        position=position,
        caller=caller,
        wait_s=wait,
        caller_name=optional_text(entry.get("name", entry.get("caller-name"))),
        call_id=optional_text(entry.get("id", entry.get("call-id"))),
    )


def _waiting_calls(queue_id: str, container: Node) -> list[WaitingCall]:
    if isinstance(container, list):
        entries = [(i, _as_dict(item, "waiting-calls")) for i, item in enumerate(container, 1)]
    else:
        mapping = _as_dict(container, "waiting-calls")
        entries = list(_numbered(mapping, "waiting-call"))
        if not entries:  # any other numbered key (e.g. "call-1")
            entries = [
                (int(m.group(1)), _as_dict(value, key))
                for key, value in mapping.items()
                if (m := re.fullmatch(r"[a-z-]*?-(\d{1,9})", key))
            ]
            entries.sort(key=lambda item: item[0])
    calls: list[WaitingCall] = []
    positions: set[int] = set()
    for number, entry in entries:
        call = _waiting_call(queue_id, number, entry)
        if call.position in positions:
            continue
        positions.add(call.position)
        calls.append(call)
    return calls


def parse_monitor(body: bytes, api_format: int, campaign: Queue) -> CampaignMonitor:
    """``cc_monitor/show`` for one campaign → its metrics, members and waiting calls."""
    tree = decode(body, api_format)
    monitor = _required_root(tree, "cc-monitor")
    basic = _as_dict(monitor.get("basic-data"), "basic-data")
    members_node = _as_dict(monitor.get("campaign-members"), "campaign-members")
    # 1.3 (and XML): inside cc-monitor; 1.0.3 JSON: beside it.
    waiting_node = (
        monitor["waiting-calls"] if "waiting-calls" in monitor else tree.get("waiting-calls")
    )

    members: list[MonitorMember] = []
    memberships: list[Membership] = []
    logins: set[str] = set()
    for _, entry in _numbered(members_node, "cc-campaign-member"):
        login = _text(entry.get("login"))
        if not login or login in logins:
            continue
        logins.add(login)
        state = _text(entry.get("state"))
        paused = parse_yes_no(entry.get("pause"))
        skill = optional_int(entry.get("skill"))
        members.append(
            MonitorMember(
                login=login,
                name=_text(entry.get("description")) or login,
                state=state,
                status=member_status(state, paused),
                raw_status=raw_label(state, paused),
                paused=bool(paused),
                answered=optional_int(entry.get("answered")),
                last_call=optional_text(entry.get("last-call")),
                skill=skill,
            )
        )
        memberships.append(Membership(agent_id=login, queue_id=campaign.id, penalty=skill))

    waiting = _waiting_calls(campaign.id, waiting_node)
    counter = optional_int(basic.get("calls-waiting"))
    calls_waiting = len(waiting) if waiting else counter
    waits = [call.wait_s for call in waiting if call.wait_s is not None]
    if waits:
        longest: int | None = max(waits)
    elif calls_waiting == 0:
        longest = 0
    else:
        longest = None

    answered = optional_int(basic.get("answered"))
    unanswered = optional_int(basic.get("unanswered"))
    # "00:00" averages over no answered call, and an SL over no finished call, are no data.
    no_answered = answered == 0
    no_finished = answered == 0 and unanswered == 0
    free = optional_int(basic.get("free-members"))
    paused_count = sum(1 for m in members if m.status is AgentStatus.PAUSED)
    # free-members counts a paused agent whose line is free (the manual's own sample: two
    # free members, one of them on a break), so the paused ones are taken out of "ready".
    free_but_paused = sum(
        1 for m in members if m.paused and _STATE_WORDS.get(_fold(m.state)) is AgentStatus.IDLE
    )
    ready = max(0, free - free_but_paused) if free is not None else None
    queue = Queue(
        id=campaign.id,
        name=campaign.name,
        number=campaign.number,
        calls_waiting=calls_waiting,
        longest_wait_s=longest,
        agents_total=len(members),
        agents_ready=ready,
        agents_busy=optional_int(basic.get("busy-members")),
        agents_paused=paused_count,
        answered=answered,
        abandoned=unanswered,
        service_level_pct=None if no_finished else optional_float(basic.get("sla")),
        sl_threshold_s=parse_duration(basic.get("measured-sla")),
        avg_wait_s=None if no_answered else parse_duration(basic.get("average-waiting-time")),
        avg_talk_s=None if no_answered else parse_duration(basic.get("average-call-time")),
        capacity=optional_int(basic.get("max-waiting")),
    )
    return CampaignMonitor(
        queue=queue,
        members=tuple(members),
        memberships=tuple(memberships),
        waiting_calls=tuple(waiting),
    )


@dataclass(frozen=True, slots=True)
class CallCenterAgent:
    """One ``cc-agent-N`` of ``cc_agent/list`` (1.3). ``id`` is SPIKON's agent id (what the
    membership actions take); ``sip`` is the SIP login, which ``cc_monitor`` calls ``login``."""

    id: str
    name: str
    sip: str
    ddi: str | None
    in_campaigns: tuple[str, ...]
    out_campaigns: tuple[str, ...]
    default_out_campaign: str | None


def _id_list(value: Node, item_key: str) -> tuple[str, ...]:
    """``[1,2]`` (JSON), a ``type="array"`` list (XML), or a single value → campaign ids."""
    if isinstance(value, dict):
        value = value.get(item_key, list(value.values()))
    items = value if isinstance(value, list) else [value]
    ids: list[str] = []
    for item in items:
        text = _text(item)
        if text and text not in ids:
            ids.append(text)
    return tuple(ids)


def parse_agents(body: bytes, api_format: int) -> list[CallCenterAgent]:
    """``cc_agent/list`` (1.3) → the call-center agents and their campaign membership."""
    container = _required_root(decode(body, api_format), "cc-agents")
    agents: list[CallCenterAgent] = []
    sips: set[str] = set()
    for _, entry in _numbered(container, "cc-agent"):
        agent_id = _text(entry.get("id"))
        sip = _text(entry.get("sip")) or agent_id
        if not agent_id or sip in sips:
            continue
        sips.add(sip)
        agents.append(
            CallCenterAgent(
                id=agent_id,
                name=_text(entry.get("name")) or sip,
                sip=sip,
                ddi=optional_text(entry.get("ddi")),
                in_campaigns=_id_list(entry.get("in-campaigns"), "in-campaign"),
                out_campaigns=_id_list(entry.get("out-campaigns"), "out-campaign"),
                default_out_campaign=optional_text(entry.get("default-out-campaign")),
            )
        )
    return agents


@dataclass(frozen=True, slots=True)
class PhoneAccount:
    """One ``phone-account-N`` of ``phone_account/list``: what ``call/initiate`` needs."""

    id: str
    login: str
    number: str | None
    internal: str | None
    description: str | None


def parse_phone_accounts(body: bytes, api_format: int) -> list[PhoneAccount]:
    container = _required_root(decode(body, api_format), "phone-accounts")
    accounts: list[PhoneAccount] = []
    for _, entry in _numbered(container, "phone-account"):
        account_id = _text(entry.get("id"))
        if not account_id:
            continue
        accounts.append(
            PhoneAccount(
                id=account_id,
                login=_text(entry.get("login")),
                number=optional_text(entry.get("number")),
                internal=optional_text(entry.get("internal")),
                description=optional_text(entry.get("description")),
            )
        )
    return accounts


def _check_status(status: Node, action: str) -> None:
    if _text(status).upper() != "OK":
        raise ProviderRefusedError(
            f'SPIKON did not confirm {action}; it answered "{_text(status)[:100]}".'
        )


def parse_add_agent(body: bytes, api_format: int) -> None:
    """``cc_in_campaign/add_agent`` and ``cc_out_campaign/add_agent``.

    JSON ``{"add_agent_status":"OK"}``; XML ``<add-agent><status>OK</status></add-agent>``.
    """
    tree = decode(body, api_format)
    if "add-agent-status" in tree:
        _check_status(tree["add-agent-status"], "adding the agent to the campaign")
        return
    _check_status(
        _required_root(tree, "add-agent").get("status"), "adding the agent to the campaign"
    )


def parse_remove_agent(body: bytes, api_format: int) -> None:
    """``cc_*_campaign/remove_agent``: ``{"remove_agent":{"status":"OK"}}`` / ``<remove-agent>``."""
    tree = decode(body, api_format)
    if "remove-agent-status" in tree:  # tolerate the add-style shape too
        _check_status(tree["remove-agent-status"], "removing the agent from the campaign")
        return
    _check_status(
        _required_root(tree, "remove-agent").get("status"),
        "removing the agent from the campaign",
    )


def parse_set_default(body: bytes, api_format: int) -> None:
    """``cc_out_campaign/set_default``: ``{"out_campaign_set_default":{"status":"OK"}}``."""
    tree = decode(body, api_format)
    _check_status(
        _required_root(tree, "out-campaign-set-default").get("status"),
        "setting the default outbound campaign",
    )


def parse_call_initiate(body: bytes, api_format: int) -> str:
    """``call/initiate`` → the call's ``state`` ("initiated")."""
    state = _text(_required_root(decode(body, api_format), "call").get("state"))
    if state.lower() != "initiated":
        raise ProviderRefusedError(f'SPIKON did not start the call; it answered "{state[:100]}".')
    return state
