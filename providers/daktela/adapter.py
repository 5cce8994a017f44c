"""The Daktela adapter: one account's live state and supervisor actions over the vendor API.

URLs follow the manual: ``{base_url}/api/{version}/{Action}[/{id}]/{json|xml}?access_token=…``
with ``access_token = sha1(login + password)``; the account's ``format`` option picks JSON
(the default) or XML, which ``parse`` reads into the same values. Every request goes through
``providers.http.request`` (timeouts, size limit, HTTP error translation); every reply through
``providers.daktela.parse`` (envelope and Czech error texts, shapes, time zones).

With ``instant_agents`` on (the default), ``watch_agents`` gives an ``AgentWatcher``
(``watch.py``) that long-polls RTUserState per agent and reports each agent's change as it
happens, and ``agent_feed`` the same as the product's vendor-neutral ``Feed``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import quote

import httpx

from ..base import (
    AccountConfig,
    AgentRef,
    Capability,
    ConfigField,
    ListenMode,
    Provider,
    SnapshotParts,
    TransferKind,
)
from ..errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    UnsupportedActionError,
)
from ..feeds import Feed
from ..http import make_client, request
from ..model import (
    ActiveCall,
    Agent,
    AgentStatus,
    Endpoint,
    Membership,
    PauseReason,
    Queue,
    Snapshot,
    WaitingCall,
)
from . import parse
from .feed import AgentFeed
from .watch import MAX_AGENTS, AgentWatcher, OnChange, OnError

#: API versions the manual documents ("Requirement version" of its actions).
API_VERSIONS: tuple[str, ...] = (
    "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "4.0", "4.1",
)  # fmt: skip

#: The lowest API version each action we use needs, from the manual.
REQUIRED_VERSION: dict[str, str] = {
    "GetQueues": "3.0",
    "GetPauses": "3.0",
    "DeviceStates": "3.0",
    "RTStatsQueues": "3.5",
    "RTStatsCalls": "3.5",
    "RTUserState": "3.9",
    "RTUsersState": "4.1",
    "PauseOn": "3.0",
    "PauseOff": "3.0",
    "Monitoring": "3.1",
    "Transfer": "3.0",
    "Hangup": "3.0",
    "LoginQueue": "3.0",
    "LogoutQueue": "3.0",
    "Login": "3.4",
    "Logout": "3.4",
    "CreateCall": "3.0",
    "PickupFromQueue": "4.0",
}

#: ``instant_agents`` values that switch the RTUserState long-poll watcher on.
YES = frozenset({"yes", "true", "1", "on"})

#: LoginQueue's documented priorities: 0 (high), 1, 2 (low).
PRIORITIES = range(3)

#: RTUserState takes ``hash`` (and long-polls) from API 4.0 on, per the manual.
LONG_POLL_VERSION = "4.0"

#: RTUserState with ``hash`` answers on a change or after 60 s; the manual asks clients to
#: wait at least 70 s.
LONG_POLL_TIMEOUT_S = 75.0
#: How long GetQueues' and GetPauses' replies (names, numbers, pause kinds) are used before
#: they are read again; a queue or a pause the live replies name first is read at once.
CONFIG_REFRESH = timedelta(minutes=1)


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


class DaktelaProvider(Provider):
    vendor = "daktela"
    title = "Daktela"
    capabilities = frozenset(
        {
            Capability.LIST_QUEUES,
            Capability.QUEUE_STATS,
            Capability.ACTIVE_CALLS,
            Capability.MEMBERSHIP,
            Capability.PAUSE,
            Capability.PAUSE_REASONS,
            Capability.LISTEN,
            Capability.TRANSFER,
            Capability.HANGUP,
            Capability.QUEUE_MEMBERSHIP_EDIT,
            Capability.AGENT_LOGIN,
            Capability.CLICK_TO_CALL,
        }
    )
    penalty_range = (0, 2)  # LoginQueue priority: 0 (high) … 2 (low)
    feeds_agents = True  # RTUserState long-poll, with instant_agents
    listen_modes = (
        ListenMode.SPY,
        ListenMode.WHISPER,
        ListenMode.WHISPER_PRIVATE,
        ListenMode.BARGE,
        ListenMode.INTERACTIVE,
    )
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("login", "Daktela login of the API user."),
        ConfigField("password", "Password of that user.", secret=True),
        ConfigField(
            "api_version",
            "API version in the URL. Live agent state (RTUsersState) needs 4.1.",
            required=False,
            default="4.1",
            choices=API_VERSIONS,
        ),
        ConfigField(
            "format",
            "Reply format asked for: json or xml (both give the same data).",
            required=False,
            default="json",
            choices=parse.FORMATS,
        ),
        ConfigField(
            "instant_agents",
            "yes: also watch each agent with an RTUserState long-poll (one open request per "
            "agent, API 4.0 or later) so agent changes show at once; no: the regular poll only.",
            required=False,
            default="yes",
            choices=("yes", "no"),
        ),
    )

    def __init__(
        self,
        config: AccountConfig,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(config, client=client, clock=clock)
        self._long_poll_client: httpx.Client | None = client
        self._owns_long_poll_client = client is None
        self._queue_numbers: dict[str, str] = {}
        self._pauses: dict[str, PauseReason] = {}
        # GetQueues and GetPauses are configuration: read again when due (``CONFIG_REFRESH``
        # after the last read, on the provider's clock), or at once when the live replies
        # name a queue or a pause they do not hold.
        self._queue_list: list[Queue] | None = None
        self._queues_due: datetime | None = None
        self._pauses_due: datetime | None = None
        self._unlisted_queues: set[str] = set()
        self._unknown_pauses: set[str] = set()
        # Unchanged users keep their parsed record from the previous reply (1,000 agents at
        # 5 % churn: most of the parse).
        self._users_reuse = parse.UsersReuse()
        # The previous DeviceStates reply and its parse: phones change far less often than
        # they are polled, and an identical reply need not be decoded again.
        self._devices: tuple[bytes, dict[str, str]] | None = None

    def __repr__(self) -> str:
        return f"<DaktelaProvider {self.config.base_url!r}>"

    # ------------------------------------------------------------------ plumbing

    @property
    def api_version(self) -> str:
        version = self.config.options.get("api_version") or "4.1"
        return version if version in API_VERSIONS else "4.1"

    @property
    def reply_format(self) -> parse.ReplyFormat:
        """``json`` or ``xml`` from the account's ``format`` option (JSON when unset)."""
        value = (self.config.options.get("format") or "json").strip().casefold()
        return "xml" if value == "xml" else "json"

    @property
    def instant_agents(self) -> bool:
        """Whether the account asks for the RTUserState long-poll watcher (unset: yes)."""
        return (self.config.options.get("instant_agents") or "yes").strip().casefold() in YES

    def close(self) -> None:
        if self._long_poll_client is not None and self._owns_long_poll_client:
            self._long_poll_client.close()
            self._long_poll_client = None
        super().close()

    def _access_token(self) -> str:
        login = self.config.secrets.get("login") or self.config.options.get("login", "")
        if not login:
            raise ProviderAuthError("The Daktela account has no login configured.")
        password = self.config.secret("password")
        # SHA-1 is what the vendor's API defines; it is an identifier, not our security.
        return hashlib.sha1((login + password).encode("utf-8"), usedforsecurity=False).hexdigest()

    def _require_version(self, action: str) -> None:
        needed = REQUIRED_VERSION.get(action, "3.0")
        if _version_key(self.api_version) < _version_key(needed):
            raise UnsupportedActionError(
                f"Daktela {action} needs API version {needed}; "
                f"this account uses {self.api_version}."
            )

    def _call(
        self,
        action: str,
        params: Mapping[str, str] | None = None,
        *,
        record_id: str = "",
        client: httpx.Client | None = None,
    ) -> bytes:
        """One API request; returns the raw reply (HTTP errors already translated)."""
        self._require_version(action)
        base = self.config.base_url.rstrip("/")
        path = f"/api/{self.api_version}/{action}"
        if record_id:
            path += "/" + quote(record_id, safe="")
        query = {"access_token": self._access_token(), **(params or {})}
        url = f"{base}{path}/{self.reply_format}"
        return request(client or self.client, "GET", url, params=query)

    def _act(self, action: str, params: Mapping[str, str]) -> None:
        parse.parse_action(self._call(action, params), fmt=self.reply_format)

    # ------------------------------------------------------------------ snapshot

    def fetch_snapshot(self) -> Snapshot:
        """RTStatsQueues + RTUsersState + RTStatsCalls (+ DeviceStates), and the
        configuration they are read with: GetQueues and GetPauses, every
        ``CONFIG_REFRESH`` and whenever a reply names a queue or a pause not yet known.

        A failed endpoint marks its part in ``Snapshot.failed`` (its message in ``errors``)
        and the caller keeps its previous values. A refused login, a rate limit, no reply
        at all or every part failing raises instead.
        """
        taken_at = now = self._clock()
        tz = self.config.tz
        fmt = self.reply_format
        parts = SnapshotParts()

        queues_read = self._queues_due is None or now >= self._queues_due
        if queues_read:
            self._read_queue_list(parts, now)
        queue_stats = parts.fetch(
            Endpoint.QUEUES,
            lambda: parse.parse_rt_stats_queues(self._call("RTStatsQueues"), fmt=fmt),
        )
        if queue_stats is not None and self._queue_list is not None:
            if not queues_read and queue_stats.keys() - self._listed_queues():
                self._read_queue_list(parts, now)  # a queue added since
            # A queue the list does not name even then is not asked about again.
            self._unlisted_queues = queue_stats.keys() - {q.id for q in self._queue_list}
        queue_list = self._queue_list
        pauses_read = self._pauses_due is None or now >= self._pauses_due
        if pauses_read:
            self._read_pauses(parts, now)

        def read_users() -> parse.UsersState:
            body = self._call("RTUsersState")
            state = parse.parse_rt_users_state(
                body, tz, self._pauses, fmt=fmt, reuse=self._users_reuse
            )
            named = {a.pause_reason_id for a in state.agents if a.pause_reason_id is not None}
            if not pauses_read and named - self._pauses.keys() - self._unknown_pauses:
                # A pause added since: a wrap-up is told from a break only with it.
                self._read_pauses(parts, now)
                state = parse.parse_rt_users_state(
                    body, tz, self._pauses, fmt=fmt, reuse=self._users_reuse
                )
            self._unknown_pauses = named - self._pauses.keys()
            return state

        users = parts.fetch(Endpoint.AGENTS, read_users)
        calls = parts.fetch(
            Endpoint.CALLS,
            lambda: parse.parse_rt_stats_calls(self._call("RTStatsCalls"), tz, taken_at, fmt=fmt),
        )
        devices: dict[str, str] = {}
        if users is not None:
            try:  # a refinement only (UNAVAILABLE phones): its failure costs nothing else
                devices = self._device_states(fmt)
            except ProviderAuthError:
                raise
            except ProviderError:
                devices = {}

        parts.raise_if_every_part_failed()
        failed = frozenset(parts.failed)

        users_state = users if users is not None else parse.UsersState()
        calls_state = calls if calls is not None else parse.CallsState()
        queues: list[Queue] = []
        if queue_list is not None:
            self._queue_numbers = {q.id: q.number for q in queue_list if q.number}
            if queue_stats is not None:
                queues = _queues_with_stats(queue_list, queue_stats, calls_state.waiting_calls)
        for queue in users_state.queues:
            if queue.number:
                self._queue_numbers.setdefault(queue.id, queue.number)

        return Snapshot.build(
            taken_at=taken_at,
            queues=queues,
            agents=[_with_device(agent, devices) for agent in users_state.agents],
            memberships=_known(users_state.memberships, queues, Endpoint.QUEUES in failed),
            waiting_calls=calls_state.waiting_calls,
            active_calls=_merge_calls(calls_state.active_calls, users_state.active_calls),
            pause_reasons=list(self._pauses.values()) if Endpoint.PAUSES not in failed else [],
            failed=failed,
            errors=tuple(parts.messages),
        )

    def _listed_queues(self) -> set[str]:
        """The queue ids GetQueues was last asked about: those it named, and those it did not."""
        return {q.id for q in self._queue_list or ()} | self._unlisted_queues

    def _read_queue_list(self, parts: SnapshotParts, now: datetime) -> None:
        fmt = self.reply_format
        found = parts.fetch(
            Endpoint.QUEUES, lambda: parse.parse_get_queues(self._call("GetQueues"), fmt=fmt)
        )
        if found is not None:
            self._queue_list = found
            self._queues_due = now + CONFIG_REFRESH

    def _read_pauses(self, parts: SnapshotParts, now: datetime) -> None:
        fmt = self.reply_format
        found = parts.fetch(
            Endpoint.PAUSES, lambda: parse.parse_get_pauses(self._call("GetPauses"), fmt=fmt)
        )
        if found is not None:
            self._pauses = {pause.id: pause for pause in found}
            self._pauses_due = now + CONFIG_REFRESH

    def _device_states(self, fmt: parse.ReplyFormat) -> dict[str, str]:
        body = self._call("DeviceStates")
        if self._devices is None or self._devices[0] != body:
            self._devices = (body, parse.parse_device_states(body, fmt=fmt))
        return self._devices[1]

    def user_state(self, agent: AgentRef, previous_hash: str | None = None) -> parse.UsersState:
        """RTUserState for one agent ("my panel"), with its ``hash``.

        Given the ``previous_hash``, Daktela holds the request until the agent's state changes
        or 60 s pass (a long poll), so that request gets a client with a 75 s timeout.
        """
        params = self._who(agent)
        client = None
        if previous_hash:
            params["hash"] = previous_hash
            with self._client_lock:
                if self._long_poll_client is None:
                    self._long_poll_client = make_client(LONG_POLL_TIMEOUT_S)
                client = self._long_poll_client
        body = self._call("RTUserState", params, client=client)
        return parse.parse_rt_user_state(body, self.config.tz, self._pauses, fmt=self.reply_format)

    def pause_reasons(self) -> list[PauseReason]:
        """GetPauses, remembered so that agent states tell a wrap-up from a break."""
        pauses = parse.parse_get_pauses(self._call("GetPauses"), fmt=self.reply_format)
        self._pauses = {pause.id: pause for pause in pauses}
        return pauses

    def watch_agents(
        self,
        logins: Sequence[str],
        on_change: OnChange,
        *,
        on_error: OnError | None = None,
        max_agents: int = 50,
    ) -> AgentWatcher:
        """An (unstarted) ``AgentWatcher`` for these agent logins; see ``watch.py``.

        Refused unless the account's ``instant_agents`` option is on: each watched agent
        keeps one request open at Daktela.
        """
        if not self.instant_agents:
            raise UnsupportedActionError(
                "Instant agent changes are off for this Daktela account (instant_agents)."
            )
        if _version_key(self.api_version) < _version_key(LONG_POLL_VERSION):
            raise UnsupportedActionError(
                f"Daktela RTUserState long-polls from API version {LONG_POLL_VERSION}; "
                f"this account uses {self.api_version}."
            )
        return AgentWatcher(self, logins, on_change, on_error=on_error, max_agents=max_agents)

    def agent_feed(self, agents: Sequence[AgentRef]) -> Feed | None:
        """The RTUserState long-poll of the first ``MAX_AGENTS`` of these agents as a
        ``Feed``; None when ``instant_agents`` is off, the API version has no long-poll, or
        no agent has a login. Agents past the cap show on the poll only."""
        logins = list(dict.fromkeys(a.login for a in agents if a.login))[:MAX_AGENTS]
        if not logins:
            return None
        try:
            return AgentFeed(self, logins)
        except UnsupportedActionError:
            return None

    # ------------------------------------------------------------------ actions

    def _who(self, agent: AgentRef) -> dict[str, str]:
        """``user`` (login) where we have it, else ``extension`` — PauseOn/Off, Transfer …"""
        if agent.login:
            return {"user": agent.login}
        if agent.extension:
            return {"extension": agent.extension}
        raise ProviderNotFoundError(f"Agent {agent.id} has no Daktela login or extension.")

    def _login(self, agent: AgentRef) -> str:
        if not agent.login:
            raise ProviderNotFoundError(f"Agent {agent.id} has no Daktela login.")
        return agent.login

    def queue_number(self, queue_id: str) -> str:
        """The queue *number* (GetQueues ``name``) LoginQueue/LogoutQueue ask for."""
        number = self._queue_numbers.get(queue_id)
        if number is None:
            body = self._call("GetQueues", record_id=queue_id)
            queues = parse.parse_get_queues(body, fmt=self.reply_format)
            for queue in queues:
                if queue.number:
                    self._queue_numbers[queue.id] = queue.number
            number = self._queue_numbers.get(queue_id)
        if number is None:
            raise ProviderNotFoundError(f"Daktela does not know queue {queue_id}.")
        return number

    def pause(self, agent: AgentRef, reason_id: str | None, *, force: bool = False) -> None:
        if not reason_id:
            raise ProviderRefusedError("Daktela needs a pause reason to pause an agent.")
        params = {**self._who(agent), "pause": reason_id}
        if force:
            params["force"] = "yes"
        self._act("PauseOn", params)

    def unpause(self, agent: AgentRef) -> None:
        self._act("PauseOff", self._who(agent))

    def listen(
        self, agent: AgentRef, listener: str, mode: ListenMode, *, call_id: str | None = None
    ) -> None:
        """Monitoring (call-center form): ``listener`` is the supervisor's extension.

        Daktela chooses the call from the agent; ``call_id`` is not needed.
        """
        if not listener:
            raise ProviderRefusedError("Listening in needs the supervisor's extension.")
        try:
            mode_value = ListenMode(mode).value
        except ValueError:
            raise ProviderRefusedError(f"Daktela has no listening mode {mode!r}.") from None
        self._act(
            "Monitoring", {"user": self._login(agent), "listener": listener, "mode": mode_value}
        )

    def transfer(
        self,
        agent: AgentRef,
        *,
        kind: TransferKind = TransferKind.ATTENDED,
        number: str | None = None,
        queue_id: str | None = None,
        user_id: str | None = None,
    ) -> None:
        targets = {
            key: value
            for key, value in (("number", number), ("dst_queue", queue_id), ("dst_user", user_id))
            if value
        }
        if len(targets) != 1:
            raise ProviderRefusedError(
                "A Daktela transfer goes to exactly one of a number, a queue or a user."
            )
        try:
            kind_value = TransferKind(kind).value
        except ValueError:
            raise ProviderRefusedError(f"Daktela has no transfer type {kind!r}.") from None
        params = {**self._who(agent), "type": kind_value, **targets}
        self._act("Transfer", params)

    def hangup(
        self,
        *,
        agent: AgentRef | None = None,
        call_id: str | None = None,
        channel: str | None = None,
    ) -> None:
        """Hangup takes exactly one of call id, user or extension; the call id wins."""
        if call_id:
            params = {"call": call_id}
        elif agent is not None:
            params = self._who(agent)
        else:
            raise ProviderRefusedError(
                "Daktela hangs up a call by its id or by the agent; a channel is not enough."
            )
        self._act("Hangup", params)

    def add_to_queue(self, agent: AgentRef, queue_id: str, penalty: int | None = None) -> None:
        """LoginQueue. ``penalty`` is Daktela's priority, 0 (high) … 2 (low)."""
        params = {"user": self._login(agent)}
        if penalty is not None:
            valid = isinstance(penalty, int) and not isinstance(penalty, bool)
            if not valid or penalty not in PRIORITIES:
                raise ProviderRefusedError("Daktela queue priority must be 0 (high), 1 or 2 (low).")
            params["priority"] = str(penalty)
        params["queue"] = self.queue_number(queue_id)
        self._act("LoginQueue", params)

    def remove_from_queue(self, agent: AgentRef, queue_id: str) -> None:
        """LogoutQueue; Daktela refuses while the agent has a call in that queue."""
        login = self._login(agent)
        self._act("LogoutQueue", {"user": login, "queue": self.queue_number(queue_id)})

    def agent_login(self, agent: AgentRef, extension: str | None = None) -> None:
        params = {"user": self._login(agent)}
        if extension or agent.extension:
            params["extension"] = extension or agent.extension or ""
        self._act("Login", params)

    def agent_logout(self, agent: AgentRef) -> None:
        self._act("Logout", {"user": self._login(agent)})

    def originate(self, agent: AgentRef, number: str) -> None:
        """CreateCall: the call-center form by login, else the plain form by extension."""
        if not number:
            raise ProviderRefusedError("Click-to-call needs a number to dial.")
        self._act("CreateCall", {**self._who(agent), "number": number})

    def pickup(self, agent: AgentRef, call_id: str) -> None:
        """PickupFromQueue: the agent takes a waiting call out of its queue (API 4.0+)."""
        if not call_id:
            raise ProviderRefusedError("Picking up a call needs the call's id.")
        self._act("PickupFromQueue", {"call_id": call_id, "user": self._login(agent)})


# ---------------------------------------------------------------------- helpers


def _queues_with_stats(
    queue_list: list[Queue],
    stats: Mapping[str, parse.QueueStats],
    waiting: tuple[WaitingCall, ...],
) -> list[Queue]:
    """GetQueues' names and numbers with RTStatsQueues' counters (DESIGN §3)."""
    longest_waiting: dict[str, int] = {}
    for call in waiting:
        if call.wait_s is not None:
            longest_waiting[call.queue_id] = max(call.wait_s, longest_waiting.get(call.queue_id, 0))
    queues: list[Queue] = []
    for queue in queue_list:
        counters = stats.get(queue.id)
        if counters is None:
            queues.append(queue)
            continue
        longest = counters.longest_wait_s
        if longest is None:
            longest = longest_waiting.get(queue.id, 0 if counters.calls_waiting == 0 else None)
        queues.append(
            Queue(
                id=queue.id,
                name=queue.name,
                number=queue.number,
                calls_waiting=counters.calls_waiting,
                longest_wait_s=longest,
                agents_total=counters.agents_total,
                agents_ready=counters.agents_ready,
                agents_busy=counters.agents_busy,
                agents_paused=counters.agents_paused,
            )
        )
    return queues


def _with_device(agent: Agent, devices: Mapping[str, str]) -> Agent:
    """An idle (or merely logged-in) agent whose phone is UNAVAILABLE cannot take calls."""
    if agent.extension is None or devices.get(agent.extension) != "UNAVAILABLE":
        return agent
    if agent.status not in (AgentStatus.IDLE, AgentStatus.LOGGED_IN):
        return agent
    return Agent(
        id=agent.id,
        login=agent.login,
        name=agent.name,
        status=AgentStatus.UNAVAILABLE,
        raw_status=f"{agent.raw_status} (phone UNAVAILABLE)",
        extension=agent.extension,
        status_since=agent.status_since,
        pause_reason_id=agent.pause_reason_id,
        pause_reason=agent.pause_reason,
    )


def _known(
    memberships: tuple[Membership, ...], queues: list[Queue], queues_failed: bool
) -> list[Membership]:
    """Memberships of queues the snapshot lists (all of them when the queue part failed)."""
    if queues_failed:
        return list(memberships)
    ids = {queue.id for queue in queues}
    return [membership for membership in memberships if membership.queue_id in ids]


def _merge_calls(
    from_calls: tuple[ActiveCall, ...], from_users: tuple[ActiveCall, ...]
) -> list[ActiveCall]:
    """RTStatsCalls first; RTUsersState adds the calls it alone knows (one per call id)."""
    merged: dict[str, ActiveCall] = {call.call_id: call for call in from_calls}
    for call in from_users:
        merged.setdefault(call.call_id, call)
    return list(merged.values())
