"""The provider interface every vendor adapter implements (DESIGN §4)."""

from __future__ import annotations

import enum
import threading
import zoneinfo
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, TypeVar

import httpx

from .errors import (
    NoReplyError,
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderError,
    ProviderUnavailableError,
    UnsupportedActionError,
)
from .feeds import Feed
from .http import make_client
from .model import Endpoint, Snapshot

T = TypeVar("T")


class Capability(enum.StrEnum):
    """What an adapter can do; the UI and the server both read the adapter's declaration."""

    LIST_QUEUES = "list_queues"
    QUEUE_STATS = "queue_stats"
    ACTIVE_CALLS = "active_calls"
    MEMBERSHIP = "membership"
    PAUSE = "pause"
    PAUSE_REASONS = "pause_reasons"
    LISTEN = "listen"
    TRANSFER = "transfer"
    HANGUP = "hangup"
    QUEUE_MEMBERSHIP_EDIT = "queue_membership_edit"
    AGENT_LOGIN = "agent_login"
    DEFAULT_CAMPAIGN = "default_campaign"
    CLICK_TO_CALL = "click_to_call"


@dataclass(frozen=True)
class ConfigField:
    """One setting an account of this vendor needs (drives ``add_account`` and the admin).

    Secret fields land in ``AccountConfig.secrets`` (encrypted at rest), others in ``options``.
    """

    name: str
    help: str
    secret: bool = False
    required: bool = True
    default: str | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountConfig:
    """How to reach one provider account. ``secrets`` never appear in a repr or a message."""

    base_url: str
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    options: Mapping[str, str] = field(default_factory=dict)
    time_zone: str = "UTC"
    timeout_s: float = 5.0

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def secret(self, name: str) -> str:
        try:
            return self.secrets[name]
        except KeyError:
            raise ProviderBadResponseError(f"The account has no {name} configured.") from None


class ListenMode(enum.StrEnum):
    SPY = "spy"
    WHISPER = "whisper"
    WHISPER_PRIVATE = "whisperprivate"
    BARGE = "barge"
    INTERACTIVE = "interactive"


class TransferKind(enum.StrEnum):
    ATTENDED = "attended"
    BLIND = "blind"


@dataclass(frozen=True)
class AgentRef:
    """Who an action targets, with every identifier a vendor may ask for.

    ``number`` and ``pin`` are VoIPSUN's per-agent credentials; the PIN is a secret.
    """

    id: str
    login: str = ""
    extension: str | None = None
    number: str | None = None
    pin: str | None = field(default=None, repr=False)


def ends_snapshot(err: ProviderError) -> bool:
    """Whether a failed request ends the whole snapshot instead of marking its part stale.

    HTTP 429 (or any Retry-After) asks us to send nothing more for now; a request that got
    no reply at all (refused, reset, timed out) says the same of the host's other endpoints,
    each of which would keep the poll waiting a timeout (past its lease) for that answer.
    """
    if isinstance(err, NoReplyError):
        return True
    return isinstance(err, ProviderUnavailableError) and (
        err.retry_after_s is not None or err.code == "429"
    )


@dataclass
class SnapshotParts:
    """The requests of one snapshot, and which parts (``Endpoint``) they left stale.

    ``fetch`` runs one request. An error that ends the snapshot (``ends_snapshot``, and a
    refused login unless ``auth_ends_snapshot`` is off) propagates, so nothing more is
    sent; any other ``ProviderError`` marks the parts that request feeds as failed, keeps
    its message, and ``fetch`` returns None so the adapter goes on with the next request.
    """

    #: Off for a vendor whose "refused" also means "no permission for this one action".
    auth_ends_snapshot: bool = True
    asked: set[Endpoint] = field(default_factory=set)
    failed: set[Endpoint] = field(default_factory=set)
    errors: list[ProviderError] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    requests: int = 0

    def fetch(
        self, parts: Endpoint | Iterable[Endpoint], request: Callable[[], T], *, where: str = ""
    ) -> T | None:
        """``request()``, or None when it failed without ending the snapshot.

        ``parts`` are what the request feeds (none for a request that only refines
        others); ``where`` prefixes its message ("Campaign Support: …").
        """
        self.requests += 1
        self.asked.update((parts,) if isinstance(parts, Endpoint) else parts)
        try:
            return request()
        except ProviderError as err:
            if ends_snapshot(err):
                raise
            if isinstance(err, ProviderAuthError) and self.auth_ends_snapshot:
                raise
            self.failed.update((parts,) if isinstance(parts, Endpoint) else parts)
            self.errors.append(err)
            self.messages.append(f"{where}: {err}" if where else str(err))
            return None

    def raise_if_every_request_failed(self) -> None:
        """Nothing at all could be read: the first error is the snapshot's."""
        if self.requests and len(self.errors) == self.requests:
            raise self.errors[0]

    def raise_if_every_part_failed(self) -> None:
        """Every part this snapshot asked for is stale (a part it did not ask for this
        time, kept from an earlier one, is no sign of life): the first error is the
        snapshot's."""
        if self.errors and self.failed.issuperset(self.asked):
            raise self.errors[0]


class Provider(ABC):
    """One vendor adapter bound to one account.

    ``fetch_snapshot`` does all the requests a full snapshot needs; an endpoint that fails
    only marks its part as failed (``Snapshot.failed``) unless nothing at all could be read,
    in which case it raises a ``ProviderError``.
    """

    vendor: ClassVar[str]
    title: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    config_fields: ClassVar[tuple[ConfigField, ...]]
    # What the vendor accepts, so forms can refuse bad input before anything is sent.
    penalty_range: ClassVar[tuple[int, int]] = (0, 99)
    #: Whether ``agent_feed`` can give a feed (for some settings): who must supervise one.
    feeds_agents: ClassVar[bool] = False
    listen_modes: ClassVar[tuple[ListenMode, ...]] = (
        ListenMode.SPY,
        ListenMode.WHISPER,
        ListenMode.BARGE,
    )

    def __init__(
        self,
        config: AccountConfig,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``client`` and ``clock`` are for tests (a mock transport, a fixed time)."""
        self.config = config
        self._client = client
        self._clock = clock or (lambda: datetime.now(UTC))
        # An adapter may be called from several threads (Daktela's AgentWatcher).
        self._client_lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        """One HTTP client per adapter, made on first use and closed by ``close``."""
        with self._client_lock:
            if self._client is None:
                self._client = make_client(self.config.timeout_s)
            return self._client

    def close(self) -> None:
        """Release network resources."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    @abstractmethod
    def fetch_snapshot(self) -> Snapshot: ...

    def agent_feed(self, agents: Sequence[AgentRef]) -> Feed | None:
        """An (unstarted) change feed of these agents (``providers.feeds``), or None where
        the vendor or this account's settings offer none: then only the poll reads them."""
        return None

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def require(self, capability: Capability) -> None:
        if capability not in self.capabilities:
            raise UnsupportedActionError(
                f"{self.title} does not support {capability.value.replace('_', ' ')}."
            )

    # Actions. Each adapter overrides those its capabilities declare; the defaults refuse.

    def pause(self, agent: AgentRef, reason_id: str | None, *, force: bool = False) -> None:
        self.require(Capability.PAUSE)
        raise NotImplementedError

    def unpause(self, agent: AgentRef) -> None:
        self.require(Capability.PAUSE)
        raise NotImplementedError

    def listen(
        self, agent: AgentRef, listener: str, mode: ListenMode, *, call_id: str | None = None
    ) -> None:
        self.require(Capability.LISTEN)
        raise NotImplementedError

    def transfer(
        self,
        agent: AgentRef,
        *,
        kind: TransferKind = TransferKind.ATTENDED,
        number: str | None = None,
        queue_id: str | None = None,
        user_id: str | None = None,
    ) -> None:
        self.require(Capability.TRANSFER)
        raise NotImplementedError

    def hangup(
        self,
        *,
        agent: AgentRef | None = None,
        call_id: str | None = None,
        channel: str | None = None,
    ) -> None:
        self.require(Capability.HANGUP)
        raise NotImplementedError

    def add_to_queue(self, agent: AgentRef, queue_id: str, penalty: int | None = None) -> None:
        self.require(Capability.QUEUE_MEMBERSHIP_EDIT)
        raise NotImplementedError

    def remove_from_queue(self, agent: AgentRef, queue_id: str) -> None:
        self.require(Capability.QUEUE_MEMBERSHIP_EDIT)
        raise NotImplementedError

    def agent_login(self, agent: AgentRef, extension: str | None = None) -> None:
        self.require(Capability.AGENT_LOGIN)
        raise NotImplementedError

    def agent_logout(self, agent: AgentRef) -> None:
        self.require(Capability.AGENT_LOGIN)
        raise NotImplementedError

    def set_default_campaign(self, agent: AgentRef, queue_id: str) -> None:
        self.require(Capability.DEFAULT_CAMPAIGN)
        raise NotImplementedError

    def originate(self, agent: AgentRef, number: str) -> None:
        self.require(Capability.CLICK_TO_CALL)
        raise NotImplementedError
