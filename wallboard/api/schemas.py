"""The shapes the API answers with. ``State*`` mirror ``wallboard.monitoring.state``
(DESIGN §9): their field names are a contract, and a test compares them with
``state_json``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Schema

from providers.model import AgentStatus, CallDirection
from wallboard.accounts.models import Role
from wallboard.monitoring import models
from wallboard.reports.days import day_of, first_reportable_day


class Error(Schema):
    detail: str = Field(description="What went wrong, for a person to read.")


class ParameterError(Schema):
    parameter: str = Field(description="The path or query parameter at fault.")
    message: str


class BadRequest(Error):
    errors: list[ParameterError]


class Me(Schema):
    username: str
    role: Role | None
    account_ids: list[int] = Field(description="The accounts this person sees.")
    queue_ids: list[int] | None = Field(
        description="When set, the person sees only these queues of those accounts, their "
        "members and their calls; null: the accounts whole."
    )


class Account(Schema):
    id: int
    name: str
    provider: str = Field(description="The vendor: spikon, voipsun or daktela.")
    time_zone: str = Field(description="The zone of the vendor's times and of its days.")
    # A wall-clock time in ``time_zone``: no offset, so not JSON Schema's "time".
    day_starts_at: str = Field(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Local time (HH:MM, in time_zone) at which the account's day starts.",
    )
    today: date = Field(description="The account's current day, as history counts days.")
    history_from: date = Field(description="The oldest day with history left.")
    poll_interval_s: int
    stale: bool
    stale_parts: list[str]
    last_success_at: datetime | None
    error: str | None = Field(description="Why the last poll failed; null when it did not.")

    @staticmethod
    def resolve_provider(account: models.ProviderAccount) -> str:
        return account.vendor

    @staticmethod
    def resolve_day_starts_at(account: models.ProviderAccount) -> str:
        return account.day_starts_at.strftime("%H:%M")

    @staticmethod
    def resolve_today(account: models.ProviderAccount) -> date:
        return day_of(account, timezone.now())

    @staticmethod
    def resolve_history_from(account: models.ProviderAccount) -> date:
        return first_reportable_day(account, timezone.now())

    @staticmethod
    def resolve_error(account: models.ProviderAccount) -> str | None:
        return account.last_error or None


class Queue(Schema):
    id: int
    vendor_id: str = Field(description="The vendor's id: the id in the state JSON.")
    number: str | None
    name: str
    capacity: int | None
    sl_threshold_s: int | None

    @staticmethod
    def resolve_number(queue: models.Queue) -> str | None:
        return queue.number or None


class Membership(Schema):
    queue_id: int
    penalty: int | None
    static: bool
    logged_in: bool


class Agent(Schema):
    id: int
    vendor_id: str = Field(description="The vendor's id: the id in the state JSON.")
    login: str
    name: str
    extension: str | None
    status: AgentStatus
    raw_status: str = Field(description="The vendor's own word for the status.")
    status_since: datetime | None
    pause_reason: str | None
    memberships: list[Membership] = Field(description="Only of queues the person sees.")

    @staticmethod
    def resolve_extension(agent: models.Agent) -> str | None:
        return agent.extension or None

    @staticmethod
    def resolve_pause_reason(agent: models.Agent) -> str | None:
        return agent.pause_reason or None

    @staticmethod
    def resolve_memberships(agent: models.Agent) -> list[models.Membership]:
        # Prefetched with only the queues in scope (``endpoints.agents_in_scope``).
        return list(agent.memberships.all())


class QueueSample(Schema):
    id: int
    queue_id: int
    taken_at: datetime
    calls_waiting: int | None
    longest_wait_s: int | None
    agents_ready: int | None
    agents_busy: int | None
    agents_paused: int | None
    service_level_pct: float | None
    answered: int | None
    abandoned: int | None


class AgentStatusSpan(Schema):
    id: int
    agent_id: int
    status: AgentStatus
    pause_reason: str
    started_at: datetime
    ended_at: datetime | None = Field(description="null while the agent is still in it.")


class AuditEntry(Schema):
    id: int
    created_at: datetime
    username: str
    role: str
    account_id: int | None
    action: str
    target: str = Field(description="What the action was done to, in words.")
    params: dict[str, Any] = Field(description="As given, never with secrets.")
    ok: bool
    error: str
    vendor_code: str
    duration_ms: float


# -- the state JSON (DESIGN §9) ------------------------------------------------------------


class StateAccount(Schema):
    id: int
    provider: str
    name: str
    stale: bool
    stale_parts: list[str]
    last_success_at: datetime | None
    error: str | None


class StateQueue(Schema):
    id: str
    number: str | None
    name: str
    calls_waiting: int | None
    longest_wait_s: int | None
    agents_total: int | None
    agents_ready: int | None
    agents_busy: int | None
    agents_paused: int | None
    answered: int | None
    abandoned: int | None
    service_level_pct: float | None
    sl_threshold_s: int | None
    avg_wait_s: int | None
    avg_talk_s: int | None
    capacity: int | None


class StateMembership(Schema):
    queue: str
    penalty: int | None
    static: bool
    logged_in: bool


class StateAgent(Schema):
    id: str
    login: str
    name: str
    extension: str | None
    status: AgentStatus
    raw_status: str
    status_since: datetime | None
    pause_reason: str | None
    queues: list[str]
    memberships: list[StateMembership]


class StateWaitingCall(Schema):
    queue: str
    position: int
    caller: str
    caller_name: str | None
    wait_s: int | None


class StateActiveCall(Schema):
    id: str
    agent: str | None
    queue: str | None
    direction: CallDirection | None
    number: str
    state: AgentStatus
    since: datetime | None


class State(Schema):
    account: StateAccount
    queues: list[StateQueue]
    agents: list[StateAgent]
    waiting_calls: list[StateWaitingCall]
    active_calls: list[StateActiveCall]
