"""The SPIKON adapter: one account's campaigns, agents and actions over the vendor API.

Every method is ``POST {base_url}/api/{method}`` with a form body carrying ``api_key`` and
``api_format`` (0 JSON, 1 XML), as both manuals say; the key never goes into a URL. (API 1.3
adds GET methods that take the key in a ``Spikon-API-Key`` header, but none of them is a
call-center method.) Requests go through ``providers.http.request``; replies through
``providers.spikon.parse``.

Identifiers: a queue is a campaign (its ``id``); an agent is a campaign member, identified by
its SIP login (``login`` in ``cc_monitor``, ``sip`` in ``cc_agent/list``). The membership
actions want SPIKON's own agent id and ``call/initiate`` a phone-account id; both are looked
up from the SIP login.

Capabilities depend on the account's API version: 1.0.3 has no ``cc_agent/list`` and no
campaign membership actions. ``provider.capabilities`` (and so ``supports`` / ``require``)
answers for the account's version; ``SpikonProvider.capabilities`` on the class answers for
the default version, and ``SpikonProvider.capabilities_for(options)`` for any account
settings without building a provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import ClassVar, Final, TypeVar, overload

import httpx

from ..base import AccountConfig, AgentRef, Capability, ConfigField, Provider, SnapshotParts
from ..errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRefusedError,
    UnsupportedActionError,
)
from ..http import request
from ..model import Agent, AgentStatus, Endpoint, Membership, Queue, Snapshot, WaitingCall
from . import parse

T = TypeVar("T")

API_VERSIONS: Final = ("1.0.3", "1.3")
DEFAULT_VERSION: Final = "1.3"
FORMATS: Final[Mapping[str, int]] = {"json": parse.JSON_FORMAT, "xml": parse.XML_FORMAT}
DEFAULT_FORMAT: Final = "json"

#: DESIGN §4, SPIKON column, per API version.
CAPABILITIES: Final[Mapping[str, frozenset[Capability]]] = {
    "1.0.3": frozenset({Capability.LIST_QUEUES, Capability.QUEUE_STATS, Capability.CLICK_TO_CALL}),
    "1.3": frozenset(
        {
            Capability.LIST_QUEUES,
            Capability.QUEUE_STATS,
            Capability.CLICK_TO_CALL,
            Capability.MEMBERSHIP,
            Capability.QUEUE_MEMBERSHIP_EDIT,
            Capability.DEFAULT_CAMPAIGN,
        }
    ),
}

#: Methods the 1.0.3 manual does not have.
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

#: call/initiate: "destination_number … maksymalna długość: 25 znaków".
MAX_NUMBER_LENGTH: Final = 25

#: When one agent shows in several campaigns, the status that says the most wins.
_STATUS_RANK: Final[Mapping[AgentStatus, int]] = {
    status: rank
    for rank, status in enumerate(
        (
            AgentStatus.UNAVAILABLE,
            AgentStatus.TALKING,
            AgentStatus.RINGING,
            AgentStatus.PAUSED,
            AgentStatus.IDLE,
            AgentStatus.UNKNOWN,
        )
    )
}


def _version(options: Mapping[str, str]) -> str:
    version = (options.get("api_version") or DEFAULT_VERSION).strip()
    return version if version in API_VERSIONS else DEFAULT_VERSION


class _VersionCapabilities:
    """``capabilities`` that reads the account's API version on an instance."""

    @overload
    def __get__(self, instance: None, owner: type[SpikonProvider]) -> frozenset[Capability]: ...

    @overload
    def __get__(
        self, instance: SpikonProvider, owner: type[SpikonProvider]
    ) -> frozenset[Capability]: ...

    def __get__(
        self, instance: SpikonProvider | None, owner: type[SpikonProvider]
    ) -> frozenset[Capability]:
        if instance is None:
            return CAPABILITIES[DEFAULT_VERSION]
        return CAPABILITIES[instance.api_version]


class SpikonProvider(Provider):
    vendor = "spikon"
    title = "SPIKON"
    capabilities = _VersionCapabilities()
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField(
            "api_key",
            "API key from the SPIKON panel (Ustawienia i dodatki → API - ustawienia).",
            secret=True,
        ),
        ConfigField(
            "api_version",
            "SPIKON API version. 1.3 adds the agent list and campaign membership actions.",
            required=False,
            default=DEFAULT_VERSION,
            choices=API_VERSIONS,
        ),
        ConfigField(
            "format",
            "Reply format the API is asked for (api_format 0 = JSON, 1 = XML).",
            required=False,
            default=DEFAULT_FORMAT,
            choices=tuple(FORMATS),
        ),
        ConfigField(
            "outbound_campaigns",
            "Comma-separated ids of outbound campaigns (poł. wychodzące). Only needed when "
            "SPIKON's agent list cannot tell a campaign's direction; others count as inbound.",
            required=False,
            default="",
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
        self._agents_by_sip: dict[str, parse.CallCenterAgent] = {}
        self._phone_accounts: dict[str, parse.PhoneAccount] = {}

    def __repr__(self) -> str:
        return f"<SpikonProvider {self.config.base_url!r} API {self.api_version}>"

    @classmethod
    def capabilities_for(cls, options: Mapping[str, str]) -> frozenset[Capability]:
        """What an account with these (non-secret) options can do."""
        return CAPABILITIES[_version(options)]

    # ------------------------------------------------------------------ plumbing

    @property
    def api_version(self) -> str:
        return _version(self.config.options)

    @property
    def api_format(self) -> int:
        name = (self.config.options.get("format") or DEFAULT_FORMAT).strip().lower()
        return FORMATS.get(name, FORMATS[DEFAULT_FORMAT])

    @property
    def outbound_campaigns(self) -> frozenset[str]:
        raw = self.config.options.get("outbound_campaigns") or ""
        return frozenset(part.strip() for part in raw.split(",") if part.strip())

    def _api_key(self) -> str:
        key = self.config.secrets.get("api_key", "")
        if not key:
            raise ProviderAuthError("The SPIKON account has no API key configured.")
        return key

    def _post(self, method: str, params: Mapping[str, str] | None = None) -> bytes:
        """One API call; returns the raw reply (HTTP failures already translated)."""
        if method in ONLY_IN_1_3 and self.api_version != "1.3":
            raise UnsupportedActionError(
                f"SPIKON {method} needs API 1.3; this account uses {self.api_version}."
            )
        key = self._api_key()
        body = {"api_key": key, "api_format": str(self.api_format), **(params or {})}
        url = f"{self.config.base_url.rstrip('/')}/api/{method}"
        return request(self.client, "POST", url, data=body)

    def _read(self, method: str, read: Callable[[bytes, int], T], **params: str) -> T:
        """``_post`` + a parser; a vendor message that echoes the key is scrubbed."""
        try:
            return read(self._post(method, params), self.api_format)
        except ProviderError as err:
            key = self.config.secrets.get("api_key", "")
            if key and key in err.message:
                err.message = err.message.replace(key, "***")
                err.args = (err.message,)
            raise

    # ------------------------------------------------------------------ snapshot

    def fetch_snapshot(self) -> Snapshot:
        """``cc_campaigns/list`` + ``cc_monitor/show`` per campaign (+ ``cc_agent/list`` on 1.3).

        Without the campaign list nothing can be read, so its failure raises. A campaign whose
        monitor fails keeps its name only and marks queues, agents and waiting calls failed; a
        failed agent list marks agents failed. A refused key, a rate limit or no reply at all
        raises at once.
        """
        taken_at = self._clock()
        campaigns = self._read("cc_campaigns/list", parse.parse_campaigns)
        parts = SnapshotParts()
        queues: list[Queue] = []
        monitors: list[parse.CampaignMonitor] = []
        for campaign in campaigns:
            monitor = parts.fetch(
                (Endpoint.QUEUES, Endpoint.AGENTS, Endpoint.CALLS),
                partial(
                    self._read,
                    "cc_monitor/show",
                    partial(parse.parse_monitor, campaign=campaign),
                    cc_campaign_id=campaign.id,
                ),
                where=f"Campaign {campaign.name}",
            )
            if monitor is None:
                queues.append(campaign)  # its name only
                continue
            monitors.append(monitor)
            queues.append(monitor.queue)

        agent_list: list[parse.CallCenterAgent] | None = None
        if self.supports(Capability.MEMBERSHIP):
            agent_list = parts.fetch(
                Endpoint.AGENTS,
                partial(self._read, "cc_agent/list", parse.parse_agents),
                where="Agent list",
            )
            if agent_list is not None:
                self._agents_by_sip = {agent.sip: agent for agent in agent_list}

        agents, memberships = _agents_and_memberships(
            monitors,
            agent_list,
            {q.id for q in queues},
            monitors_complete=len(monitors) == len(campaigns),
        )
        waiting: list[WaitingCall] = [call for m in monitors for call in m.waiting_calls]
        return Snapshot.build(
            taken_at=taken_at,
            queues=queues,
            agents=agents,
            memberships=memberships,
            waiting_calls=waiting,
            failed=frozenset(parts.failed),
            errors=tuple(parts.messages),
        )

    # ------------------------------------------------------------------ lookups

    def _load_agents(self) -> dict[str, parse.CallCenterAgent]:
        agents = self._read("cc_agent/list", parse.parse_agents)
        self._agents_by_sip = {agent.sip: agent for agent in agents}
        return self._agents_by_sip

    def _call_center_agent(self, agent: AgentRef, *, fresh: bool = False) -> parse.CallCenterAgent:
        """SPIKON's agent record for our agent (id = SIP login); a cached miss reloads once."""
        keys = [key for key in (agent.id, agent.login) if key]
        loaded = fresh or not self._agents_by_sip
        by_sip = self._load_agents() if loaded else self._agents_by_sip
        found = next((by_sip[key] for key in keys if key in by_sip), None)
        if found is None and not loaded:
            by_sip = self._load_agents()
            found = next((by_sip[key] for key in keys if key in by_sip), None)
        if found is None:
            raise ProviderNotFoundError(
                f"SPIKON has no call-center agent with SIP login {agent.login or agent.id}."
            )
        return found

    def _phone_account(self, agent: AgentRef) -> parse.PhoneAccount:
        """The phone account ``call/initiate`` rings first: the one with the agent's SIP login
        (or, failing that, the agent's extension as its internal number); a cached miss
        reloads once."""
        loaded = not self._phone_accounts
        if loaded:
            self._load_phone_accounts()
        found = self._match_phone_account(agent)
        if found is None and not loaded:
            self._load_phone_accounts()
            found = self._match_phone_account(agent)
        if found is None:
            raise ProviderNotFoundError(
                f"SPIKON has no phone account with SIP login {agent.login or agent.id}."
            )
        return found

    def _load_phone_accounts(self) -> None:
        accounts = self._read("phone_account/list", parse.parse_phone_accounts)
        self._phone_accounts = {account.login: account for account in accounts}

    def _match_phone_account(self, agent: AgentRef) -> parse.PhoneAccount | None:
        for key in (agent.id, agent.login):
            if key and key in self._phone_accounts:
                return self._phone_accounts[key]
        if agent.extension:
            for account in self._phone_accounts.values():
                if account.internal == agent.extension:
                    return account
        return None

    def campaign_direction(self, queue_id: str) -> str:
        """ "in" or "out": configured outbound campaigns, else what the agent list shows (a
        campaign seen only in agents' ``out_campaigns`` is outbound), else inbound."""
        if queue_id in self.outbound_campaigns:
            return "out"
        agents = self._agents_by_sip.values()
        inbound = any(queue_id in agent.in_campaigns for agent in agents)
        outbound = any(queue_id in agent.out_campaigns for agent in agents)
        return "out" if outbound and not inbound else "in"

    # ------------------------------------------------------------------ actions

    def add_to_queue(self, agent: AgentRef, queue_id: str, penalty: int | None = None) -> None:
        """``cc_in_campaign/add_agent`` or ``cc_out_campaign/add_agent`` by the campaign's
        direction. SPIKON has no penalty or skill parameter; ``penalty`` is ignored."""
        self.require(Capability.QUEUE_MEMBERSHIP_EDIT)
        record = self._call_center_agent(agent)
        direction = self.campaign_direction(queue_id)
        self._read(
            f"cc_{direction}_campaign/add_agent",
            parse.parse_add_agent,
            agent_id=record.id,
            campaign_id=queue_id,
        )
        self._agents_by_sip = {}  # membership changed: reload on the next lookup

    def remove_from_queue(self, agent: AgentRef, queue_id: str) -> None:
        """``cc_in_campaign/remove_agent`` or ``cc_out_campaign/remove_agent``: the list the
        agent is in decides (inbound first), else the campaign's direction."""
        self.require(Capability.QUEUE_MEMBERSHIP_EDIT)
        record = self._call_center_agent(agent, fresh=True)
        if queue_id in self.outbound_campaigns and queue_id in record.out_campaigns:
            direction = "out"
        elif queue_id in record.in_campaigns:
            direction = "in"
        elif queue_id in record.out_campaigns:
            direction = "out"
        else:
            direction = self.campaign_direction(queue_id)
        self._read(
            f"cc_{direction}_campaign/remove_agent",
            parse.parse_remove_agent,
            agent_id=record.id,
            campaign_id=queue_id,
        )
        self._agents_by_sip = {}

    def set_default_campaign(self, agent: AgentRef, queue_id: str) -> None:
        """``cc_out_campaign/set_default``: the campaign the agent's outbound calls use."""
        self.require(Capability.DEFAULT_CAMPAIGN)
        record = self._call_center_agent(agent)
        self._read(
            "cc_out_campaign/set_default",
            parse.parse_set_default,
            agent_id=record.id,
            campaign_id=queue_id,
        )
        self._agents_by_sip = {}

    def originate(self, agent: AgentRef, number: str) -> None:
        """``call/initiate``: SPIKON rings the agent's phone account, then dials ``number``."""
        self.require(Capability.CLICK_TO_CALL)
        number = (number or "").strip()
        if not number:
            raise ProviderRefusedError("Click-to-call needs a number to dial.")
        if len(number) > MAX_NUMBER_LENGTH:
            raise ProviderRefusedError(
                f"SPIKON dials numbers of at most {MAX_NUMBER_LENGTH} characters."
            )
        account = self._phone_account(agent)
        self._read(
            "call/initiate",
            parse.parse_call_initiate,
            phone_account_id=account.id,
            destination_number=number,
        )


# ---------------------------------------------------------------------- helpers


def _agents_and_memberships(
    monitors: list[parse.CampaignMonitor],
    agent_list: list[parse.CallCenterAgent] | None,
    queue_ids: set[str],
    *,
    monitors_complete: bool,
) -> tuple[list[Agent], list[Membership]]:
    """Agents from the campaign monitors, completed by ``cc_agent/list`` where there is one.

    An agent the list knows but no monitor shows is OFFLINE (DESIGN §3: "not listed") when
    every monitor was read, UNKNOWN otherwise. A membership the list has but the campaign's
    monitor does not show is not logged in.
    """
    members: dict[str, parse.MonitorMember] = {}
    memberships: dict[tuple[str, str], Membership] = {}
    monitored: set[str] = set()
    for monitor in monitors:
        monitored.add(monitor.queue.id)
        for member in monitor.members:
            known = members.get(member.login)
            if known is None or _STATUS_RANK.get(member.status, 99) < _STATUS_RANK.get(
                known.status, 99
            ):
                members[member.login] = member
        for membership in monitor.memberships:
            memberships[(membership.agent_id, membership.queue_id)] = membership

    names = {agent.sip: agent.name for agent in agent_list or ()}
    agents = [
        Agent(
            id=member.login,
            login=member.login,
            name=names.get(member.login) or member.name,
            status=member.status,
            raw_status=member.raw_status,
        )
        for member in members.values()
    ]
    for record in agent_list or ():
        if record.sip not in members:
            agents.append(
                Agent(
                    id=record.sip,
                    login=record.sip,
                    name=record.name,
                    status=AgentStatus.OFFLINE if monitors_complete else AgentStatus.UNKNOWN,
                    raw_status="" if monitors_complete else "no data",
                )
            )
        for queue_id in (*record.in_campaigns, *record.out_campaigns):
            key = (record.sip, queue_id)
            if key in memberships or queue_id not in queue_ids:
                continue
            memberships[key] = Membership(
                agent_id=record.sip, queue_id=queue_id, logged_in=queue_id not in monitored
            )
    return agents, list(memberships.values())


__all__ = [
    "API_VERSIONS",
    "CAPABILITIES",
    "SpikonProvider",
]
