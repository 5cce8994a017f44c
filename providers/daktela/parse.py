"""Daktela replies → the normalised model.

Pure functions: bytes in, model objects out. They raise only ``ProviderError`` subclasses,
whatever the bytes are. Every reply is an envelope ``{"status":1,"error":null,"result":…}``
or ``{"status":0,"error":"<Czech text>"}``; ``check_envelope`` turns the latter into the
right error class. Lists of things are objects keyed by id (or ``[]`` when empty — PHP).

Vendor timestamps ("YYYY-MM-DD HH:MM:SS") are naive local times of the account's time zone;
every parser that reads one takes that zone and returns aware UTC datetimes.

Every parser takes ``fmt`` ("json", the default, or "xml": the URL's last part). An XML reply
is first turned into the values its JSON twin decodes to, so one set of readers serves both
formats. The manual shows no XML, so the shape read is the simulator's (and the usual PHP
XML writer's): ``<response><status>1</status><error/><result>…</result></response>``; an
element holding elements is an object keyed by tag — or by the ``key`` attribute of
``<item key="4">``, for keys that are not element names (numeric ids) — unless every child is
a bare ``<item>``, which makes a list; an element without children is its text, and an empty
one (null, "", an empty object or list alike) is ``None``. Numbers and booleans arrive as
text ("12", "true"), which the readers below accept anyway. XML is parsed with
``defusedxml`` and any DTD is refused, so entity bombs and external entities never expand.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from itertools import chain
from operator import attrgetter
from typing import Any, Literal, TypeVar
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from ..errors import (
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
)
from ..model import (
    ActiveCall,
    Agent,
    AgentStatus,
    CallDirection,
    Membership,
    PauseReason,
    PauseType,
    Queue,
    WaitingCall,
)

#: More items than this in one list is not a call center, it is a hostile reply.
MAX_ITEMS = 20_000
#: Longest text we keep from a vendor field (names, numbers, labels).
MAX_TEXT = 256
#: Longest vendor error text we quote back to people.
MAX_ERROR_TEXT = 300
#: Deepest XML nesting we read (the deepest documented reply needs 8 levels).
MAX_XML_DEPTH = 32

T = TypeVar("T")

#: The reply formats Daktela serves: the last part of every API URL.
ReplyFormat = Literal["json", "xml"]
FORMATS: tuple[ReplyFormat, ...] = ("json", "xml")

AGENT_STATES: dict[str, AgentStatus] = {
    "logged": AgentStatus.LOGGED_IN,
    "idle": AgentStatus.IDLE,
    "paused": AgentStatus.PAUSED,
    "calling": AgentStatus.DIALING,  # RTStatsSessions only; harmless elsewhere
    "ringing": AgentStatus.RINGING,
    "speaking": AgentStatus.TALKING,
    "on hold": AgentStatus.ON_HOLD,
}

CALL_STATES: dict[str, AgentStatus] = {
    "ringing": AgentStatus.RINGING,
    "speaking": AgentStatus.TALKING,
    "on hold": AgentStatus.ON_HOLD,
}


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class _ErrorRule:
    fragment: str  # ASCII, lower case: matched against the vendor text without diacritics
    error: type[ProviderError]
    meaning: str


#: Every error text the manual documents, with what it means for a supervisor.
ERROR_RULES: tuple[_ErrorRule, ...] = (
    _ErrorRule(
        "uzivatel neexistuje",
        ProviderAuthError,
        "Daktela does not recognise the account's login and password",
    ),
    _ErrorRule("pauza nebyla nalezena", ProviderNotFoundError, "Daktela does not know this pause"),
    _ErrorRule(
        "nelze se odhlasit z fronty",
        ProviderRefusedError,
        "The agent cannot leave this queue or campaign while a call in it is in progress",
    ),
    _ErrorRule(
        "neni prihlasen do odchozi",
        ProviderRefusedError,
        "The agent is not logged into an outbound campaign or queue",
    ),
    _ErrorRule("stav neexistuje", ProviderNotFoundError, "Daktela does not know this state"),
    _ErrorRule(
        "neni typu email",
        ProviderRefusedError,
        "The queue given is not an e-mail queue",
    ),
)


def _fold(text: str) -> str:
    """Lower case without diacritics, so "Uživatel" matches "uzivatel"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _printable(text: str, limit: int) -> str:
    cleaned = "".join(c if c.isprintable() else " " for c in text).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def error_from_text(text: str) -> ProviderError:
    """The ``ProviderError`` for a Daktela ``status: 0`` reply, quoting the vendor's text."""
    quoted = _printable(text, MAX_ERROR_TEXT) or "(no text)"
    folded = _fold(text)
    for rule in ERROR_RULES:
        if rule.fragment in folded:
            return rule.error(f"{rule.meaning}. Daktela said: “{quoted}”.")
    return ProviderError(f"Daktela refused the request. Daktela said: “{quoted}”.")


# --------------------------------------------------------------------------- envelope


def _decode(body: bytes, fmt: ReplyFormat = "json") -> Any:
    if not isinstance(body, bytes | bytearray):
        raise ProviderBadResponseError("Daktela sent a reply that is not bytes.")
    if fmt == "xml":
        return _decode_xml(bytes(body))
    try:
        text = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProviderBadResponseError("Daktela sent a reply that is not UTF-8.") from None
    stripped = text.strip()
    if not stripped:
        raise ProviderBadResponseError("Daktela sent an empty reply.")
    if stripped.startswith("<"):
        raise ProviderBadResponseError(
            "Daktela sent XML or HTML where JSON was expected (check the base URL)."
        )
    try:
        value, end = json.JSONDecoder().raw_decode(stripped)
    except (ValueError, RecursionError):
        raise ProviderBadResponseError("Daktela sent a reply that is not valid JSON.") from None
    # The manual's own CreateCall 3.1 sample ends with one "}" too many; tolerate that, and
    # only that, after a complete JSON value.
    if stripped[end:].strip("} \t\r\n"):
        raise ProviderBadResponseError("Daktela sent a reply with text after the JSON.")
    return value


def _decode_xml(body: bytes) -> Any:
    """An XML reply → the envelope its JSON twin decodes to (see the module docstring)."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if not start:
        raise ProviderBadResponseError("Daktela sent an empty reply.")
    if start in (b"{", b"["):
        raise ProviderBadResponseError("Daktela sent JSON where XML was expected.")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise ProviderBadResponseError(
            "Daktela sent XML that declares a DTD or entities; it was refused as unsafe."
        ) from None
    except (ParseError, ValueError, UnicodeError, LookupError):  # LookupError: an unknown
        # encoding in the XML declaration
        raise ProviderBadResponseError("Daktela sent a reply that is not valid XML.") from None
    except RecursionError:
        raise ProviderBadResponseError("Daktela sent XML nested too deeply.") from None
    if root.tag != "response":
        raise ProviderBadResponseError(
            "Daktela sent XML or HTML that is not an API reply (check the base URL)."
        )
    envelope = _from_element(root, 0)
    return envelope if envelope is not None else {}


def _from_element(element: Element, depth: int) -> Any:
    if depth > MAX_XML_DEPTH:
        raise ProviderBadResponseError("Daktela sent XML nested too deeply.")
    children = list(element)
    if not children:
        return element.text or None
    if len(children) > MAX_ITEMS:
        raise ProviderBadResponseError(f"Daktela sent more than {MAX_ITEMS} items in one list.")
    if all(child.tag == "item" and "key" not in child.attrib for child in children):
        return [_from_element(child, depth + 1) for child in children]
    value: dict[str, Any] = {}
    for child in children:
        key = child.get("key") if child.tag == "item" else None
        value[key if key is not None else str(child.tag)] = _from_element(child, depth + 1)
    return value


def check_envelope(body: bytes, fmt: ReplyFormat = "json") -> Any:
    """Return the ``result`` of a Daktela reply or raise the error it carries."""
    return _result(_decode(body, fmt))


def _result(reply: Any) -> Any:
    if not isinstance(reply, dict):
        raise ProviderBadResponseError("Daktela sent a reply that is not an object.")
    status = reply.get("status")
    error = reply.get("error")
    if status in (1, "1", True) and error in (None, "", False):
        return reply.get("result")
    if status in (0, "0", False) or (error not in (None, "", False)):
        if isinstance(error, str) and error.strip():
            raise error_from_text(error)
        raise ProviderError("Daktela refused the request without saying why.")
    raise ProviderBadResponseError("Daktela sent a reply without a status.")


class _NotFast(Exception):
    """The reply is not in the shape ``result_by_text`` reads: decode it whole instead."""


#: Each object of a reply's ``result`` by key: its text in the reply and its value.
Texts = dict[str, tuple[str, Any]]


def result_by_text(body: bytes, previous: Texts) -> tuple[Any, Texts] | None:
    """``check_envelope`` of a JSON reply whose ``result`` is an object, with the text of
    each object in it: an object whose text is the very text it had in the ``previous``
    reply is that reply's value, not decoded again. None when the reply is not a plain
    envelope of that shape (a key twice, bad JSON, another shape): decode it whole then.

    A JSON value read from a position depends on nothing past its end, so the same text at
    a position is the same value, and ends at the same place.
    """
    try:
        text = bytes(body).decode("utf-8-sig").strip()
        if not text.startswith("{"):
            return None
        reply, texts, at = _object_by_text(text, 0, previous, read_result=True)
    except (_NotFast, TypeError, IndexError, StopIteration, ValueError, RecursionError):
        return None  # UnicodeDecodeError and json's errors are ValueErrors
    # As ``_decode``: one "}" too many after the value is tolerated, nothing else.
    if text[at:].strip("} \t\r\n"):
        return None
    return _result(reply), texts


# The scanners ``json.loads`` itself runs (C), which typeshed does not declare: a value at a
# position, and the rest of a string after its opening quote.
_scan_value: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_scan_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, at: int) -> int:
    # Daktela's replies are compact: most positions hold no space, and testing one
    # character is far cheaper than a regular expression's call.
    if text[at] not in " \t\n\r":
        return at
    found = _SPACE.match(text, at)
    return found.end() if found is not None else at


def _object_by_text(
    text: str, at: int, previous: Texts, *, read_result: bool = False
) -> tuple[dict[str, Any], Texts, int]:
    """The object at ``text[at]`` ("{"), and where it ends. At the top (``read_result``)
    its ``result`` object is read the same way; below it, each object's text is kept, and
    one whose text ``previous`` holds is taken from there."""
    found: dict[str, Any] = {}
    texts: Texts = {}
    at = _skip_space(text, at + 1)
    while text[at] != "}":
        if text[at] != '"':
            raise _NotFast
        key, at = _scan_string(text, at + 1)
        at = _skip_space(text, at)
        if key in found or text[at] != ":":
            raise _NotFast
        at = _skip_space(text, at + 1)
        held = None if read_result else previous.get(key)
        if read_result and key == "result" and text[at] == "{":
            found[key], texts, end = _object_by_text(text, at, previous)
        elif held is not None and text.startswith(held[0], at):
            found[key], end = held[1], at + len(held[0])
            texts[key] = held
        else:
            found[key], end = _scan_value(text, at)
            if not read_result and text[at] == "{":
                texts[key] = (text[at:end], found[key])
        at = _skip_space(text, end)
        if text[at] == ",":
            at = _skip_space(text, at + 1)
            if text[at] != '"':  # JSON has no trailing comma
                raise _NotFast
        elif text[at] != "}":
            raise _NotFast
    return found, texts, at + 1


# --------------------------------------------------------------------------- values


def _text(value: Any) -> str | None:
    """A vendor scalar as text: strings and numbers are fine, anything else is absent."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, int):
        return str(value)[:MAX_TEXT] if abs(value) < 10**30 else None
    if isinstance(value, float):
        return None if not math.isfinite(value) else format(value, "g")
    return None


def _int(value: Any) -> int | None:
    """Non-negative whole numbers sent as int, integral float or digit string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        result = int(value)
    elif isinstance(value, str):
        digits = value.strip()
        if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
            return None
        result = int(digits)
    else:
        return None
    return result if 0 <= result < 10**12 else None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        folded = value.strip().casefold()
        if folded in ("1", "true", "yes"):
            return True
        if folded in ("0", "false", "no", ""):
            return False
    return None


def to_utc(value: Any, tz: tzinfo) -> datetime | None:
    """ "YYYY-MM-DD HH:MM:SS" local to ``tz`` → aware UTC; zero dates and junk → None."""
    if not isinstance(value, str) or not value or len(value) > 40 or value.startswith("0000"):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=tz)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _entries(result: Any, what: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, object) pairs of an id-keyed object — or of a list, PHP's empty ``[]``."""
    if isinstance(result, dict):
        pairs: list[tuple[str, Any]] = [(str(k), v) for k, v in result.items()]
    elif isinstance(result, list):
        pairs = [(str(i), v) for i, v in enumerate(result)]
    elif result is None:
        pairs = []
    else:
        raise ProviderBadResponseError(f"Daktela sent {what} in a shape we cannot read.")
    if len(pairs) > MAX_ITEMS:
        raise ProviderBadResponseError(f"Daktela sent more than {MAX_ITEMS} {what}.")
    for key, item in pairs:
        if isinstance(item, dict):
            yield key, item


def _object(result: Any, what: str) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise ProviderBadResponseError(f"Daktela sent {what} in a shape we cannot read.")
    return result


def _direction(value: Any) -> CallDirection | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return CallDirection(text.strip().casefold())
    except ValueError:
        return None


def _deleted(item: Mapping[str, Any]) -> bool:
    return _flag(item.get("deleted")) is True


# --------------------------------------------------------------------------- queues


def _queue(key: str, item: Mapping[str, Any]) -> Queue | None:
    queue_id = _text(item.get("queue")) or key
    if not queue_id or _deleted(item):
        return None
    number = _text(item.get("name"))
    return Queue(id=queue_id, name=_text(item.get("title")) or number or queue_id, number=number)


def parse_get_queues(body: bytes, *, fmt: ReplyFormat = "json") -> list[Queue]:
    """GetQueues: one queue (``GetQueues/{id}``) or all of them keyed by id.

    ``name`` is the queue *number* (used by LoginQueue/LogoutQueue), ``title`` its name.
    ``options`` is a JSON string here; nothing in it is needed, so it is not read.
    Deleted queues are left out.
    """
    result = check_envelope(body, fmt)
    if isinstance(result, dict) and not isinstance(result.get("queue"), dict | list | None):
        single = _queue("", result)
        return [single] if single else []
    queues = (_queue(key, item) for key, item in _entries(result, "queues"))
    return [queue for queue in queues if queue is not None]


@dataclass(frozen=True, slots=True)
class QueueStats:
    """One queue's RTStatsQueues counters."""

    queue_id: str
    calls_waiting: int | None
    longest_wait_s: int | None
    agents_total: int | None
    agents_ready: int | None
    agents_busy: int | None
    agents_paused: int | None
    calls_count: int | None


def parse_rt_stats_queues(body: bytes, *, fmt: ReplyFormat = "json") -> dict[str, QueueStats]:
    """RTStatsQueues: counters keyed by queue id; ``calls_time`` may be null."""
    stats: dict[str, QueueStats] = {}
    for key, item in _entries(check_envelope(body, fmt), "queue statistics"):
        queue_id = _text(item.get("id")) or key
        stats[queue_id] = QueueStats(
            queue_id=queue_id,
            calls_waiting=_int(item.get("calls_wait")),
            longest_wait_s=_int(item.get("calls_time")),
            agents_total=_int(item.get("users_total")),
            agents_ready=_int(item.get("users_ready")),
            agents_busy=_int(item.get("users_busy")),
            agents_paused=_int(item.get("users_pause")),
            calls_count=_int(item.get("calls_count")),
        )
    return stats


# --------------------------------------------------------------------------- pauses


_PAUSE_TYPES_33: dict[str, PauseType] = {"wrap": PauseType.WRAP, "normal": PauseType.NORMAL}
_PAUSE_TYPES_30: dict[str, PauseType] = {"w": PauseType.WRAP, "-": PauseType.NORMAL}


def _pause(key: str, item: Mapping[str, Any]) -> PauseReason | None:
    if "pcode_id" in item or "pcode_desc" in item:  # the 3.0 shape
        pause_id = _text(item.get("pcode_id")) or key
        title = _text(item.get("pcode_desc")) or _text(item.get("pcode"))
        raw_type = (_text(item.get("pauseType")) or "-").strip().casefold()
        pause_type = _PAUSE_TYPES_30.get(raw_type, PauseType.OTHER)
        # 3.0's isBillable is 3.3's paid (same pauses, same values in the manual's samples).
        paid = _flag(item.get("isBillable"))
    else:  # the 3.3+ shape
        pause_id = _text(item.get("pause")) or key
        title = _text(item.get("title")) or _text(item.get("name"))
        raw_type = (_text(item.get("type")) or "normal").strip().casefold() or "normal"
        pause_type = _PAUSE_TYPES_33.get(raw_type, PauseType.OTHER)
        paid = _flag(item.get("paid"))
    if not pause_id or _deleted(item):
        return None
    return PauseReason(id=pause_id, title=title or pause_id, type=pause_type, paid=paid)


def parse_get_pauses(body: bytes, *, fmt: ReplyFormat = "json") -> list[PauseReason]:
    """GetPauses in both documented shapes, without the deleted pauses.

    3.3+: ``pause/name/title/type/paid/deleted`` (type wrap / lajdak / normal / null / "").
    3.0: ``pcode_id/pcode/pcode_desc/isBillable/isPayable/pauseType`` ("w" is wrap).
    """
    pauses = (_pause(key, item) for key, item in _entries(check_envelope(body, fmt), "pauses"))
    return [pause for pause in pauses if pause is not None]


# --------------------------------------------------------------------------- agents


@dataclass(frozen=True, slots=True)
class UsersState:
    """What RTUsersState (or RTUserState) says: agents, their queues and their calls.

    ``queues`` are the queues named in ``login_oqueues`` (id, title, number), so a caller
    can resolve queue numbers without another GetQueues.
    """

    agents: tuple[Agent, ...] = ()
    memberships: tuple[Membership, ...] = ()
    active_calls: tuple[ActiveCall, ...] = ()
    queues: tuple[Queue, ...] = ()
    hash: str | None = None


def _agent_status(raw: str, pause_id: str | None, pauses: Mapping[str, PauseReason]) -> AgentStatus:
    status = AGENT_STATES.get(raw.strip().casefold(), AgentStatus.UNKNOWN)
    if status is AgentStatus.PAUSED and pause_id is not None:
        reason = pauses.get(pause_id)
        if reason is not None and reason.type is PauseType.WRAP:
            return AgentStatus.WRAP_UP
    return status


def _user_call(item: Mapping[str, Any], agent_id: str, tz: tzinfo) -> ActiveCall | None:
    call_id = _text(item.get("id_call"))
    if not call_id:
        return None
    raw_state = (_text(item.get("call_state")) or "").strip().casefold()
    state = CALL_STATES.get(raw_state, AgentStatus.UNKNOWN)
    since_key = {
        AgentStatus.RINGING: "ringed",
        AgentStatus.TALKING: "answered",
        AgentStatus.ON_HOLD: "onhold",
    }.get(state, "entered")
    return ActiveCall(
        call_id=call_id,
        agent_id=agent_id,
        queue_id=_text(item.get("id_queue")),
        direction=_direction(item.get("direction")),
        number=_text(item.get("clid")) or "",
        state=state,
        since=to_utc(item.get(since_key), tz) or to_utc(item.get("entered"), tz),
    )


def _user(
    key: str, item: Mapping[str, Any], tz: tzinfo, pauses: Mapping[str, PauseReason]
) -> UsersState | None:
    agent_id = _text(item.get("id_agent")) or key
    if not agent_id:
        return None
    raw_state = _text(item.get("agent_state")) or ""
    pause_id = _text(item.get("id_pause"))
    status = _agent_status(raw_state, pause_id, pauses)
    paused = status in (AgentStatus.PAUSED, AgentStatus.WRAP_UP)
    reason = pauses.get(pause_id) if pause_id is not None else None
    login = _text(item.get("agent_name")) or ""
    agent = Agent(
        id=agent_id,
        login=login,
        name=_text(item.get("agent_title")) or login or agent_id,
        status=status,
        raw_status=raw_state,
        extension=_text(item.get("exten")),
        status_since=to_utc(item.get("state_time"), tz)
        or (to_utc(item.get("onpause"), tz) if paused else None),
        pause_reason_id=pause_id if paused else None,
        pause_reason=reason.title if (paused and reason is not None) else None,
    )
    calls_value = item.get("calls")
    calls = calls_value if isinstance(calls_value, list) else []
    active = tuple(
        call
        for call in (_user_call(c, agent_id, tz) for c in calls[:MAX_ITEMS] if isinstance(c, dict))
        if call is not None
    )
    memberships: dict[str, Membership] = {}
    queues: dict[str, Queue] = {}
    oqueues_value = item.get("login_oqueues")
    for queue_key, oqueue in _entries(
        oqueues_value if isinstance(oqueues_value, dict | list) else [], "agent queues"
    ):
        queue = _queue(queue_key, oqueue) if "queue" in oqueue else None
        if queue is None:
            continue
        queues[queue.id] = queue
        memberships[queue.id] = Membership(
            agent_id=agent_id,
            queue_id=queue.id,
            penalty=_int(oqueue.get("penalty")),
            logged_in=_flag(oqueue.get("rt_logged")) is True,
        )
    return UsersState(
        agents=(agent,),
        memberships=tuple(memberships.values()),
        active_calls=active,
        queues=tuple(queues.values()),
        hash=_text(item.get("hash")),
    )


def _first_by(key: Callable[[T], Any], items: Iterable[T]) -> tuple[T, ...]:
    """``items`` sorted by ``key``, the first of each key kept: ``dict`` over the reversed
    items keeps the last it meets. Built from C calls alone, as a poll merges thousands."""
    backwards = list(items)
    backwards.reverse()
    return tuple(sorted(dict(zip(map(key, backwards), backwards, strict=True)).values(), key=key))


def _merge(parts: list[UsersState], hash_: str | None = None) -> UsersState:
    def each(what: Callable[[UsersState], tuple[T, ...]]) -> Iterator[T]:
        return chain.from_iterable(map(what, parts))

    return UsersState(
        agents=_first_by(attrgetter("id"), each(attrgetter("agents"))),
        memberships=_first_by(attrgetter("agent_id", "queue_id"), each(attrgetter("memberships"))),
        active_calls=_first_by(attrgetter("call_id"), each(attrgetter("active_calls"))),
        queues=_first_by(attrgetter("id"), each(attrgetter("queues"))),
        hash=hash_,
    )


class UsersReuse:
    """The previous RTUsersState reply of one adapter: its bytes, and each user's text,
    value and parse.

    A user is parsed from its record, the time zone and the pause reasons alone, and the
    record carries absolute times (``state_time``, ``logintime``), so an unchanged user's
    record equals the previous one and the previous result is reused. In a JSON reply a
    user whose text is unchanged is not even decoded (``result_by_text``); otherwise
    comparing two dicts is C code, parsing one is not. A reply equal to the previous one
    byte for byte is not decoded at all. Only the latest reply is kept.
    """

    def __init__(self) -> None:
        self._key: tuple[bytes, tzinfo, dict[str, PauseReason], ReplyFormat] | None = None
        self._state = UsersState()
        self._users: dict[str, tuple[dict[str, Any], UsersState | None]] = {}
        self._texts: Texts = {}

    def read(
        self, body: bytes, tz: tzinfo, pauses: Mapping[str, PauseReason], fmt: ReplyFormat
    ) -> UsersState:
        key = (bytes(body), tz, dict(pauses), fmt)
        if key == self._key:
            return self._state
        same_context = self._key is not None and self._key[1:] == key[1:]
        previous = self._users if same_context else {}
        read = result_by_text(body, self._texts) if fmt == "json" else None
        result, self._texts = read if read is not None else (check_envelope(body, fmt), {})
        users: dict[str, tuple[dict[str, Any], UsersState | None]] = {}
        parts = []
        for user_key, item in _entries(result, "users"):
            seen = previous.get(user_key)
            if seen is not None and (seen[0] is item or seen[0] == item):
                part = seen[1]
            else:
                part = _user(user_key, item, tz, pauses)
            users[user_key] = (item, part)
            if part is not None:
                parts.append(part)
        self._key, self._state, self._users = key, _merge(parts), users
        return self._state


def parse_rt_users_state(
    body: bytes,
    tz: tzinfo,
    pauses: Mapping[str, PauseReason] | None = None,
    *,
    fmt: ReplyFormat = "json",
    reuse: UsersReuse | None = None,
) -> UsersState:
    """RTUsersState: every logged-in user keyed by id, with calls and ``login_oqueues``.

    ``pauses`` (from GetPauses, by id) tells a wrap pause (→ WRAP_UP) from a break and
    gives ``pause_reason`` its title. ``login_oqueues`` lists the queues the agent may log
    into; ``rt_logged`` says whether they are logged in now. An adapter that polls passes
    its ``reuse``, so what is unchanged since its previous reply is not parsed again.
    """
    known = pauses or {}
    if reuse is not None:
        return reuse.read(body, tz, known, fmt)
    parts = [
        part
        for key, item in _entries(check_envelope(body, fmt), "users")
        if (part := _user(key, item, tz, known)) is not None
    ]
    return _merge(parts)


def parse_rt_user_state(
    body: bytes,
    tz: tzinfo,
    pauses: Mapping[str, PauseReason] | None = None,
    *,
    fmt: ReplyFormat = "json",
) -> UsersState:
    """RTUserState: one user, as RTUsersState reads it, plus the long-poll ``hash``."""
    item = _object(check_envelope(body, fmt), "the user state")
    part = _user("", item, tz, pauses or {})
    if part is None:
        raise ProviderBadResponseError("Daktela sent a user state without a user id.")
    return part


# --------------------------------------------------------------------------- calls


@dataclass(frozen=True, slots=True)
class CallsState:
    """RTStatsCalls split into callers still waiting and calls at an agent."""

    waiting_calls: tuple[WaitingCall, ...] = ()
    active_calls: tuple[ActiveCall, ...] = ()


def parse_rt_stats_calls(
    body: bytes, tz: tzinfo, now: datetime | None = None, *, fmt: ReplyFormat = "json"
) -> CallsState:
    """RTStatsCalls: Waiting ⇒ ``WaitingCall`` (positions by enter time per queue);
    Ringing / Speaking / On Hold ⇒ ``ActiveCall``; other states (Transfered …) are skipped.

    A waiting call's ``wait_s`` is ``wait_time_relative`` (else ``enter_time_relative``,
    else the time since ``enter_time_absolute`` measured against ``now``).
    """
    waiting: list[tuple[str, datetime | None, str, WaitingCall]] = []
    active: dict[str, ActiveCall] = {}
    for key, item in _entries(check_envelope(body, fmt), "calls"):
        call_id = _text(item.get("id")) or key
        raw_state = (_text(item.get("state")) or "").strip().casefold()
        queue_id = _text(item.get("queue"))
        number = _text(item.get("clid")) or ""
        entered = to_utc(item.get("enter_time_absolute"), tz) or to_utc(
            item.get("wait_time_absolute"), tz
        )
        if raw_state == "waiting":
            if queue_id is None:
                continue
            wait_s = _int(item.get("wait_time_relative"))
            if wait_s is None:
                wait_s = _int(item.get("enter_time_relative"))
            if wait_s is None and entered is not None and now is not None:
                wait_s = max(0, int((now - entered).total_seconds()))
            call = WaitingCall(
                queue_id=queue_id, position=0, caller=number, wait_s=wait_s, call_id=call_id
            )
            waiting.append((queue_id, entered, call_id, call))
            continue
        state = CALL_STATES.get(raw_state)
        if state is None:
            continue
        users = item.get("users")
        agent_id = _text(item.get("agent"))
        if agent_id is None and isinstance(users, list) and users:
            agent_id = _text(users[0])
        since_key = {
            AgentStatus.RINGING: "ring_time_absolute",
            AgentStatus.TALKING: "answer_time_absolute",
            AgentStatus.ON_HOLD: "hold_time_absolute",
        }[state]
        active.setdefault(
            call_id,
            ActiveCall(
                call_id=call_id,
                agent_id=agent_id,
                queue_id=queue_id,
                direction=_direction(item.get("direction")),
                number=number,
                state=state,
                since=to_utc(item.get(since_key), tz) or entered,
            ),
        )
    far_future = datetime.max.replace(tzinfo=UTC)
    waiting.sort(key=lambda w: (w[0], w[1] or far_future, w[2]))
    positioned: list[WaitingCall] = []
    position = 0
    previous_queue: str | None = None
    for queue_id, _entered, _call_id, call in waiting:
        position = position + 1 if queue_id == previous_queue else 1
        previous_queue = queue_id
        positioned.append(
            WaitingCall(
                queue_id=call.queue_id,
                position=position,
                caller=call.caller,
                wait_s=call.wait_s,
                call_id=call.call_id,
            )
        )
    return CallsState(
        waiting_calls=tuple(positioned),
        active_calls=tuple(sorted(active.values(), key=lambda c: c.call_id)),
    )


# --------------------------------------------------------------------------- devices


DEVICE_STATES = frozenset({"AVAILABLE", "UNAVAILABLE", "ONHOLD", "INUSE", "RINGING"})


def parse_device_states(body: bytes, *, fmt: ReplyFormat = "json") -> dict[str, str]:
    """DeviceStates: extension → state (AVAILABLE, UNAVAILABLE, ONHOLD, INUSE, RINGING).

    Other labels are kept as sent (upper case) so a caller can still show them.
    """
    states: dict[str, str] = {}
    for _key, item in _entries(check_envelope(body, fmt), "device states"):
        exten = _text(item.get("exten"))
        status = _text(item.get("status"))
        if exten and status:
            states[exten] = status.strip().upper()
    return states


def parse_action(body: bytes, *, fmt: ReplyFormat = "json") -> Any:
    """An action's reply (PauseOn, LoginQueue …): the ``result``, or the error raised."""
    return check_envelope(body, fmt)
