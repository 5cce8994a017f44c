"""The VoIPSUN adapter: one PBX account's queues, agents and calls, and supervisor actions.

Requests follow the manual: ``{base_url}/api/api.php?username=…&password=…&action=…`` (GET).
The credentials travel in the query string, so nothing this module raises names a URL or a
parameter value: every error goes through ``_scrubbed`` before it leaves. Every request goes
through ``providers.http.request``; every reply through ``providers.voipsun.parse``.

The API has no call listing queues: the account names the queues to watch. Agents are the
members ``queuestatus`` lists; an agent who is in no watched queue is seen only through
``agentstatus``, which needs the agent's number and PIN (the optional ``agents`` setting).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import ClassVar, TypeVar

import httpx

from ..base import (
    AccountConfig,
    AgentRef,
    Capability,
    ConfigField,
    ListenMode,
    Provider,
    SnapshotParts,
)
from ..errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    ProviderUnavailableError,
    UnsupportedActionError,
)
from ..http import request
from ..model import ActiveCall, Agent, AgentStatus, Endpoint, Membership, Queue, Snapshot
from . import parse

T = TypeVar("T")

#: How strongly each status claims an agent listed in several queues.
_STATUS_WEIGHT: dict[AgentStatus, int] = {
    AgentStatus.TALKING: 9,
    AgentStatus.ON_HOLD: 9,
    AgentStatus.DIALING: 9,
    AgentStatus.RINGING: 8,
    AgentStatus.PAUSED: 7,
    AgentStatus.WRAP_UP: 7,
    AgentStatus.UNAVAILABLE: 6,
    AgentStatus.IDLE: 5,
    AgentStatus.LOGGED_IN: 4,
    AgentStatus.UNKNOWN: 3,
    AgentStatus.OFFLINE: 2,
}

MAX_PENALTY = 1000
SINCE_TOLERANCE_S = 2.0
_NUMBER = re.compile(r"\+?[0-9*#]{1,32}")
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,128}")


def split_queues(value: str) -> tuple[str, ...]:
    """``"Fronta1, Fronta2,,Fronta1"`` → ``("Fronta1", "Fronta2")``."""
    names: dict[str, None] = {}
    for name in value.split(","):
        if name.strip():
            names[name.strip()] = None
    return tuple(names)


def split_agents(value: str) -> dict[str, tuple[str, str]]:
    """``"Agent_01:1000:1234, Agent_02:1001:4321"`` → name → (agent number, PIN).

    Malformed entries are skipped rather than echoed: the value holds PINs.
    """
    agents: dict[str, tuple[str, str]] = {}
    for entry in re.split(r"[,\n]", value):
        name, sep, rest = entry.strip().rpartition(":")
        name, sep2, number = name.rpartition(":")
        if sep and sep2 and name.strip() and number.strip() and rest.strip():
            agents[name.strip()] = (number.strip(), rest.strip())
    return agents


class VoipsunProvider(Provider):
    vendor = "voipsun"
    title = "VoIPSUN"
    capabilities = frozenset(
        {
            Capability.LIST_QUEUES,
            Capability.QUEUE_STATS,
            Capability.ACTIVE_CALLS,
            Capability.MEMBERSHIP,
            Capability.PAUSE,
            Capability.LISTEN,
            Capability.HANGUP,
            Capability.QUEUE_MEMBERSHIP_EDIT,
            Capability.AGENT_LOGIN,
            Capability.CLICK_TO_CALL,
        }
    )
    penalty_range = (0, 1000)
    listen_modes = (ListenMode.SPY,)  # the spying action has no whisper or barge
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("username", "VoIPSUN HTTP API user (Nastavení → HTTP API uživatelé)."),
        ConfigField("password", "Password of that API user.", secret=True),
        ConfigField(
            "queues",
            "Names of the queues to show, comma-separated (the API cannot list queues).",
        ),
        ConfigField(
            "agents",
            "Optional: agents to show even when logged out, as name:agent number:PIN, "
            "comma-separated.",
            secret=True,
            required=False,
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
        self._call_since: dict[str, datetime] = {}
        self._agent_lines: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<VoipsunProvider {self.url!r}>"

    # ------------------------------------------------------------------ plumbing

    @property
    def url(self) -> str:
        return self.config.base_url.rstrip("/") + "/api/api.php"

    @property
    def queue_names(self) -> tuple[str, ...]:
        return split_queues(self.config.options.get("queues", ""))

    @property
    def known_agents(self) -> dict[str, tuple[str, str]]:
        return split_agents(self.config.secrets.get("agents", ""))

    def _credentials(self) -> dict[str, str]:
        username = self.config.secrets.get("username") or self.config.options.get("username", "")
        if not username:
            raise ProviderAuthError("The VoIPSUN account has no API username configured.")
        return {"username": username, "password": self.config.secret("password")}

    def _secrets(self, params: Mapping[str, str]) -> list[str]:
        values = [
            self.config.secrets.get("password", ""),
            self.config.secrets.get("username", ""),
            self.config.options.get("username", ""),
            params.get("agentPin", ""),
        ]
        values += [pin for _, pin in self.known_agents.values()]
        return sorted({v for v in values if len(v) >= 3}, key=len, reverse=True)

    def _exchange(self, action: str, params: Mapping[str, str], read: Callable[[bytes], T]) -> T:
        """One ``api.php`` request read by ``read``; errors leave with secrets scrubbed."""
        failure: ProviderError
        try:
            query = {**self._credentials(), "action": action, **params}
            body = request(self.client, "GET", self.url, params=query)
        except ProviderError as err:
            failure = _scrubbed(err, self._secrets(params))
        except Exception as err:  # e.g. httpx.InvalidURL, whose text would hold the query
            failure = ProviderUnavailableError(
                f"VoIPSUN PBX cannot be reached ({type(err).__name__})."
            )
        else:
            try:
                return read(body)
            except ProviderError as err:
                failure = _scrubbed(err, self._secrets(params))
        raise failure

    def _act(self, action: str, params: Mapping[str, str]) -> None:
        self._exchange(action, params, parse.check_action)

    # ------------------------------------------------------------------ snapshot

    def fetch_snapshot(self) -> Snapshot:
        """``sipstatus``, ``queuestatus`` per watched queue, ``listcalls``, and
        ``agentstatus`` for configured agents missing from every queue.

        A failed request marks its part (``queuestatus`` → queues and agents, ``agentstatus``
        → agents, ``listcalls`` → calls) in ``Snapshot.failed`` with its message in
        ``errors``; a failed ``sipstatus`` only adds its message (statuses stay readable
        without it). Errno 100 also means "no permission for this action", so it fails only
        its part too; when every request fails (wrong credentials), the PBX asks us to
        slow down or does not answer at all, the first error is raised instead.
        """
        names = self.queue_names
        if not names:
            raise ProviderRefusedError("The VoIPSUN account names no queues to watch.")
        taken_at = self._clock()
        # Errno 100 is also "no permission for this action": a refusal fails only its part.
        parts = SnapshotParts(auth_ends_snapshot=False)

        # Line registration only refines agent statuses: its failure fails no part.
        sip_lines = parts.fetch((), lambda: self._exchange("sipstatus", {}, parse.parse_sip_status))
        statuses: list[parse.QueueStatus] = []
        for name in names:
            status = parts.fetch(
                (Endpoint.QUEUES, Endpoint.AGENTS),
                lambda name=name: self._exchange(  # type: ignore[misc]
                    "queuestatus",
                    {"queueName": name},
                    lambda body: parse.parse_queue_status(body, name, sip_lines=sip_lines),
                ),
            )
            if status is not None:
                statuses.append(status)
        channels = parts.fetch(
            Endpoint.CALLS, lambda: self._exchange("listcalls", {}, parse.parse_channels)
        )

        agents: dict[str, Agent] = {}
        memberships: list[Membership] = []
        lines: dict[str, str] = {}
        for status in statuses:
            memberships.extend(status.memberships)
            for agent in status.agents:
                current = agents.get(agent.id)
                if current is None or _STATUS_WEIGHT[agent.status] > _STATUS_WEIGHT[current.status]:
                    agents[agent.id] = agent
            lines.update(status.lines)
        for name, (number, pin) in self.known_agents.items():
            if name in agents:
                continue
            line = parts.fetch(
                Endpoint.AGENTS,
                lambda number=number, pin=pin: self._exchange(  # type: ignore[misc]
                    "agentstatus",
                    {"agentNumber": number, "agentPin": pin},
                    parse.parse_agent_status,
                ),
            )
            if line is not None:
                agents[name] = _outside_queues(name, line)

        parts.raise_if_every_request_failed()
        agent_by_peer = self._remember_lines(agents, lines)
        calls = self._steady(
            parse.active_calls(channels or (), now=taken_at, agent_by_peer=agent_by_peer)
        )
        return Snapshot.build(
            taken_at=taken_at,
            queues=[status.queue for status in statuses],
            agents=[_with_call(agent, calls) for agent in agents.values()],
            memberships=memberships,
            waiting_calls=[call for status in statuses for call in status.waiting_calls],
            active_calls=calls,
            failed=frozenset(parts.failed),
            errors=tuple(parts.messages),
        )

    def _remember_lines(
        self, agents: Mapping[str, Agent], lines: Mapping[str, str]
    ) -> dict[str, str]:
        """SIP peer → agent id, to name the agent of each call in ``listcalls``.

        ``lines`` (agent → the peer of ``loggedFrom``) are the members of our queues now; an
        agent who is still logged in but has left our queues keeps the line last seen.
        """
        remembered = {
            agent_id: peer
            for agent_id, peer in self._agent_lines.items()
            if agent_id in agents and agents[agent_id].status is not AgentStatus.OFFLINE
        }
        remembered.update(lines)
        self._agent_lines = remembered
        by_peer = {peer: agent_id for agent_id, peer in remembered.items() if agent_id not in lines}
        by_peer.update({peer: agent_id for agent_id, peer in lines.items()})
        return by_peer

    def _steady(self, calls: tuple[ActiveCall, ...]) -> tuple[ActiveCall, ...]:
        """``since`` is poll time minus a whole-second ``duration``: it wobbles by a second
        from poll to poll. Keep the earlier value for the same channel unless it moved more."""
        steady: list[ActiveCall] = []
        seen: dict[str, datetime] = {}
        for call in calls:
            before = self._call_since.get(call.call_id)
            close = (
                call.since is not None
                and before is not None
                and abs((call.since - before).total_seconds()) <= SINCE_TOLERANCE_S
            )
            if close:
                call = dataclasses.replace(call, since=before)
            if call.since is not None:
                seen[call.call_id] = call.since
            steady.append(call)
        self._call_since = seen
        return tuple(steady)

    def list_queues(self) -> list[Queue]:
        """The configured queue names (the API has no call that lists queues)."""
        return [Queue(id=name, name=name) for name in self.queue_names]

    # ------------------------------------------------------------------ actions

    def _agent(self, agent: AgentRef) -> dict[str, str]:
        """``agentNumber`` and ``agentPin``: from the ``AgentRef``, else the account's list."""
        number, pin = agent.number, agent.pin
        if not (number and pin):
            number, pin = self.known_agents.get(agent.id) or (number, pin)
        if not (number and pin):
            raise ProviderRefusedError(
                f"VoIPSUN needs the agent number and PIN of agent {agent.id} for this action."
            )
        return {"agentNumber": number, "agentPin": pin}

    def pause(self, agent: AgentRef, reason_id: str | None, *, force: bool = False) -> None:
        """``agentpause``. VoIPSUN has no pause reasons: ``reason_id`` is not sent."""
        self._act("agentpause", self._agent(agent))

    def unpause(self, agent: AgentRef) -> None:
        self._act("agentunpause", self._agent(agent))

    def agent_login(self, agent: AgentRef, extension: str | None = None) -> None:
        """``agentlogin`` from the agent's line, given by its internal number."""
        line = extension or agent.extension
        if not line:
            raise ProviderRefusedError(
                f"Logging agent {agent.id} in needs the internal number of the line to use."
            )
        self._act("agentlogin", {"srcExtenInternalNum": line, **self._agent(agent)})

    def agent_logout(self, agent: AgentRef) -> None:
        self._act("agentlogout", self._agent(agent))

    def add_to_queue(self, agent: AgentRef, queue_id: str, penalty: int | None = None) -> None:
        """``agentadd``; ``penalty`` is Asterisk's (0 = first choice), 0 when not given."""
        penalty = 0 if penalty is None else penalty
        if isinstance(penalty, bool) or not isinstance(penalty, int):
            raise ProviderRefusedError("The queue penalty must be a whole number.")
        if not 0 <= penalty <= MAX_PENALTY:
            raise ProviderRefusedError(f"The queue penalty must be between 0 and {MAX_PENALTY}.")
        params = {"queueName": _queue_name(queue_id), "penalty": str(penalty)}
        self._act("agentadd", {**self._agent(agent), **params})

    def remove_from_queue(self, agent: AgentRef, queue_id: str) -> None:
        self._act("agentremove", {**self._agent(agent), "queueName": _queue_name(queue_id)})

    def listen(
        self, agent: AgentRef, listener: str, mode: ListenMode, *, call_id: str | None = None
    ) -> None:
        """``spying``: the PBX calls ``listener`` (the supervisor's internal number), then
        listens to the call's channel (``call_id`` from the active calls) or the agent's line.
        VoIPSUN only listens: whisper and barge are not offered."""
        if mode != ListenMode.SPY:
            raise UnsupportedActionError("VoIPSUN can only listen in, not whisper or barge.")
        if not listener:
            raise ProviderRefusedError("Listening in needs the supervisor's internal number.")
        params = {"srcExtenInternalNum": listener}
        if call_id:
            params["dstChannelName"] = call_id
        elif agent.extension:
            params["dstExtenInternalNum"] = agent.extension
        else:
            raise ProviderRefusedError(
                f"Listening in needs a call or the line of agent {agent.id}."
            )
        self._act("spying", params)

    def hangup(
        self,
        *,
        agent: AgentRef | None = None,
        call_id: str | None = None,
        channel: str | None = None,
    ) -> None:
        """``hangupcall`` with a channel name; for an agent, their line's channel in
        ``listcalls``."""
        name = channel or call_id
        if not name and agent is not None:
            name = self._channel_of(agent)
        if not name:
            raise ProviderRefusedError("Hanging up needs a call or an agent.")
        self._act("hangupcall", {"channelName": name})

    def _channel_of(self, agent: AgentRef) -> str:
        if agent.extension:
            channels = self._exchange("listcalls", {}, parse.parse_channels)
            for leg in channels:
                if leg.source_type != "trunk" and agent.extension in (leg.peer, leg.dst):
                    return leg.channel
        raise ProviderNotFoundError(f"Agent {agent.id} has no call to hang up.")

    def originate(self, agent: AgentRef, number: str) -> None:
        """``originate``: the PBX rings the agent's line, then dials ``number``."""
        if not number or not _NUMBER.fullmatch(number.strip()):
            raise ProviderRefusedError("Click-to-call needs a phone number (digits, *, #, +).")
        if not agent.extension:
            raise ProviderRefusedError(f"Click-to-call needs the line of agent {agent.id}.")
        self._act("originate", {"srcExtenInternalNum": agent.extension, "dstNum": number.strip()})


# ---------------------------------------------------------------------- helpers


def _queue_name(queue_id: str) -> str:
    if not isinstance(queue_id, str) or not _NAME.fullmatch(queue_id.strip()):
        raise ProviderRefusedError("A VoIPSUN queue name is needed.")
    return queue_id.strip()


def _scrubbed(err: ProviderError, secrets: list[str]) -> ProviderError:
    """``err`` again, with any secret in its message blanked; no traceback chain kept."""
    message = err.message
    for secret in secrets:
        message = message.replace(secret, "***")
    if isinstance(err, ProviderUnavailableError):
        return type(err)(message, code=err.code, retry_after_s=err.retry_after_s)
    return type(err)(message, code=err.code)


def _outside_queues(name: str, line: parse.AgentLineState) -> Agent:
    """An agent seen only through ``agentstatus``: logged out, or in none of our queues."""
    status = line.status
    if line.logged_in and status is AgentStatus.IDLE:
        status = AgentStatus.LOGGED_IN
    return Agent(id=name, login=name, name=name, status=status, raw_status=line.raw_status)


def _with_call(agent: Agent, calls: tuple[ActiveCall, ...]) -> Agent:
    """The call list is more specific than the queue: a line still ringing out is DIALING."""
    if agent.status is not AgentStatus.TALKING:
        return agent
    if not any(c.agent_id == agent.id and c.state is AgentStatus.DIALING for c in calls):
        return agent
    return Agent(
        id=agent.id,
        login=agent.login,
        name=agent.name,
        status=AgentStatus.DIALING,
        raw_status=agent.raw_status,
        extension=agent.extension,
        status_since=agent.status_since,
    )
