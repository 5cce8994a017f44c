"""The operations of ``/api/v1/``. Each reads the caller's ``Scope`` (ADR 016), exactly as
the pages do, and asks it for every object: what it does not show is a 404.

No ``from __future__ import annotations`` here: django-ninja reads the parameters' types at
run time, and through ``@paginate``'s wrapper it resolves string annotations in the
wrapper's module, not this one.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import AwareDatetime
from pydantic.json_schema import SkipJsonSchema

from providers.model import AgentStatus
from wallboard.accounts.access import Scope, scope_for
from wallboard.accounts.models import Role
from wallboard.actions.audit import entries_in_scope
from wallboard.actions.models import AuditEntry
from wallboard.actions.specs import ACTIONS
from wallboard.api import schemas
from wallboard.api.auth import api_token, session
from wallboard.api.params import BadParameter, Day, RowId, SearchText
from wallboard.monitoring.ids import LARGEST_ID
from wallboard.monitoring.models import (
    Agent,
    AgentStatusSpan,
    Membership,
    ProviderAccount,
    Queue,
    QueueSample,
)
from wallboard.monitoring.state import state_json
from wallboard.reports.days import day_bounds, day_of, first_reportable_day
from wallboard.reports.queries import day_samples, day_spans

router = Router()

# An optional query parameter: left out, not null (a query string has no null).
Absent = SkipJsonSchema[None]

MAX_LIMIT = 1000


class Page(LimitOffsetPagination):
    """``limit`` (at most ``MAX_LIMIT``) items from ``offset``, and the ``count`` of all."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT, description="Items per page.")
        offset: int = Field(0, ge=0, le=LARGEST_ID, description="Items to skip.")


def _responses(ok: Any, *, forbidden: bool = False) -> dict[int, Any]:
    codes: dict[int, Any] = {200: ok, 400: schemas.BadRequest, 401: schemas.Error}
    if forbidden:
        codes[403] = schemas.Error
    codes[404] = schemas.Error
    return codes


def _account(request: HttpRequest, account_id: int) -> ProviderAccount:
    account = scope_for(request).accounts().filter(pk=account_id).first()
    if account is None:
        raise Http404(_("There is no account %(id)s that you may see.") % {"id": account_id})
    return account


def _queue(scope: Scope, account: ProviderAccount, queue_id: int) -> Queue:
    queue = scope.queues(account).filter(pk=queue_id).first()
    if queue is None:
        raise Http404(_("There is no queue %(id)s that you may see.") % {"id": queue_id})
    return queue


def _agents(scope: Scope, account: ProviderAccount) -> QuerySet[Agent]:
    """The agents in scope, each with only their memberships of the queues in scope."""
    shown = Membership.objects.filter(queue__in=scope.queues(account)).order_by("queue_id")
    return scope.agents(account).prefetch_related(Prefetch("memberships", queryset=shown))


def _agent(scope: Scope, account: ProviderAccount, agent_id: int) -> Agent:
    agent = _agents(scope, account).filter(pk=agent_id).first()
    if agent is None:
        raise Http404(_("There is no agent %(id)s that you may see.") % {"id": agent_id})
    return agent


def _supervising(request: HttpRequest, refusal: str) -> Scope:
    """History and the audit log are for supervisors and admins, as on the pages; asked
    before any id is looked at, so the refusal says nothing about what exists."""
    scope = scope_for(request)
    if scope.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise HttpError(403, refusal)
    return scope


def _history_day(
    request: HttpRequest, account_id: int, day: date | None
) -> tuple[Scope, ProviderAccount, datetime, datetime]:
    """For a supervisor or admin, the account and its ``day`` (default: its today) as UTC
    bounds, cut at now; a day outside the history kept is a 400."""
    scope = _supervising(request, _("The history is for supervisors and admins."))
    account = _account(request, account_id)
    now = timezone.now()
    today, first = day_of(account, now), first_reportable_day(account, now)
    chosen = today if day is None else day
    if not first <= chosen <= today:
        raise BadParameter(
            "day",
            _("History is kept from %(first)s to %(today)s.")
            % {"first": first.isoformat(), "today": today.isoformat()},
        )
    start, end = day_bounds(account, chosen)
    return scope, account, start, min(end, now)


class AgentFilters(Schema):
    queue: RowId | Absent = Field(None, description="Only the members of this queue.")
    status: AgentStatus | Absent = Field(None, description="Only those in this status now.")


class SampleFilters(Schema):
    day: Day | Absent = Field(None, description="The account's day; default: its today.")
    queue: RowId | Absent = Field(None, description="Only this queue's samples.")


class SpanFilters(Schema):
    day: Day | Absent = Field(None, description="The account's day; default: its today.")
    agent: RowId | Absent = Field(None, description="Only this agent's spans.")


class AuditFilters(Schema):
    account: RowId | Absent = None
    action: Literal[tuple(sorted(ACTIONS))] | Absent = None  # type: ignore[valid-type]
    user: SearchText | Absent = Field(None, description="Part of the user name.")
    outcome: Literal["ok", "failed"] | Absent = None
    since: AwareDatetime | Absent = Field(None, description="From this moment (inclusive).")
    until: AwareDatetime | Absent = Field(None, description="Before this moment.")


# -- who is asking -------------------------------------------------------------------------


@router.get(
    "/me",
    response={200: schemas.Me, 401: schemas.Error},
    tags=["people"],
    summary="Who the token belongs to",
    operation_id="me",
)
def me(request: HttpRequest) -> dict[str, Any]:
    """The token's owner, their role and what they see."""
    scope = scope_for(request)
    return {
        "username": request.user.get_username(),
        "role": scope.role,
        "account_ids": sorted(scope.account_ids),
        "queue_ids": None if scope.queue_ids is None else sorted(scope.queue_ids),
    }


# -- accounts, queues, agents, state ---------------------------------------------------------


@router.get(
    "/accounts",
    response=_responses(list[schemas.Account]),
    tags=["accounts"],
    summary="List the accounts",
    operation_id="list_accounts",
)
@paginate(Page)
def accounts(request: HttpRequest) -> QuerySet[ProviderAccount]:
    """The provider accounts the caller sees, by name."""
    return scope_for(request).accounts()


@router.get(
    "/accounts/{account_id}",
    response=_responses(schemas.Account),
    tags=["accounts"],
    summary="One account",
    operation_id="get_account",
)
def account(request: HttpRequest, account_id: RowId) -> ProviderAccount:
    return _account(request, account_id)


@router.get(
    "/accounts/{account_id}/state",
    response=_responses(schemas.State),
    auth=[api_token, session],
    tags=["accounts"],
    summary="An account's current state",
    operation_id="get_state",
)
def state(request: HttpRequest, account_id: RowId) -> JsonResponse:
    """The account's current state: the JSON of ``manage.py dump_state`` (DESIGN §9), with
    only the queues, agents and calls in the caller's scope. Ids here are the vendor's.
    The pages' own session works here too."""
    # Sent as state_json builds it: validating it again through the schema would double
    # the cost of the busiest read (ADR 025); tests and schemathesis hold the two together.
    return JsonResponse(
        state_json(_account(request, account_id), scope_for(request).queue_ids),
        content_type="application/json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False},
    )


@router.get(
    "/accounts/{account_id}/queues",
    response=_responses(list[schemas.Queue]),
    tags=["accounts"],
    summary="List an account's queues",
    operation_id="list_queues",
)
@paginate(Page)
def queues(request: HttpRequest, account_id: RowId) -> QuerySet[Queue]:
    """The account's queues in the caller's scope, by name."""
    account = _account(request, account_id)
    return scope_for(request).queues(account).order_by("name", "vendor_id", "pk")


@router.get(
    "/accounts/{account_id}/queues/{queue_id}",
    response=_responses(schemas.Queue),
    tags=["accounts"],
    summary="One queue",
    operation_id="get_queue",
)
def queue(request: HttpRequest, account_id: RowId, queue_id: RowId) -> Queue:
    return _queue(scope_for(request), _account(request, account_id), queue_id)


@router.get(
    "/accounts/{account_id}/agents",
    response=_responses(list[schemas.Agent]),
    tags=["accounts"],
    summary="List an account's agents",
    operation_id="list_agents",
)
@paginate(Page)
def agents(
    request: HttpRequest, account_id: RowId, filters: Query[AgentFilters]
) -> QuerySet[Agent]:
    """The account's agents in the caller's scope, by name."""
    account = _account(request, account_id)
    scope = scope_for(request)
    found = _agents(scope, account)
    if filters.queue is not None:
        found = found.filter(memberships__queue=_queue(scope, account, filters.queue))
    if filters.status is not None:
        found = found.filter(status=filters.status.value)
    return found.order_by("name", "vendor_id", "pk")


@router.get(
    "/accounts/{account_id}/agents/{agent_id}",
    response=_responses(schemas.Agent),
    tags=["accounts"],
    summary="One agent",
    operation_id="get_agent",
)
def agent(request: HttpRequest, account_id: RowId, agent_id: RowId) -> Agent:
    return _agent(scope_for(request), _account(request, account_id), agent_id)


# -- a day's history -------------------------------------------------------------------------


@router.get(
    "/accounts/{account_id}/history/queue-samples",
    response=_responses(list[schemas.QueueSample], forbidden=True),
    tags=["history"],
    summary="A day's queue samples",
    operation_id="list_queue_samples",
)
@paginate(Page)
def queue_samples(
    request: HttpRequest, account_id: RowId, filters: Query[SampleFilters]
) -> QuerySet[QueueSample]:
    """The queue samples of one of the account's days (default: today, so far), by time.
    A sample is written when a queue's figures change; the first of each queue may be
    older than the day: it holds the figures the day began with."""
    scope, account, start, until = _history_day(request, account_id, filters.day)
    shown = scope.queues(account)
    if filters.queue is not None:
        shown = shown.filter(pk=_queue(scope, account, filters.queue).pk)
    return day_samples(shown, start, until)


@router.get(
    "/accounts/{account_id}/history/agent-spans",
    response=_responses(list[schemas.AgentStatusSpan], forbidden=True),
    tags=["history"],
    summary="A day's agent status spans",
    operation_id="list_agent_spans",
)
@paginate(Page)
def agent_spans(
    request: HttpRequest, account_id: RowId, filters: Query[SpanFilters]
) -> QuerySet[AgentStatusSpan]:
    """The agents' status spans of one of the account's days (default: today, so far), by
    start. The first of each agent may have begun before the day: the status it began in.
    ``ended_at`` is null while a span is still open."""
    scope, account, start, until = _history_day(request, account_id, filters.day)
    shown = scope.agents(account)
    if filters.agent is not None:
        shown = shown.filter(pk=_agent(scope, account, filters.agent).pk)
    return day_spans(shown, start, until)


# -- the audit log ---------------------------------------------------------------------------


@router.get(
    "/audit",
    response=_responses(list[schemas.AuditEntry], forbidden=True),
    tags=["audit"],
    summary="The audit log",
    operation_id="list_audit_entries",
)
@paginate(Page)
def audit(request: HttpRequest, filters: Query[AuditFilters]) -> QuerySet[AuditEntry]:
    """The audit log of what the caller may see (as the audit page shows it), newest
    first."""
    entries = entries_in_scope(
        _supervising(request, _("The audit log is for supervisors and admins."))
    )
    if filters.account is not None:
        entries = entries.filter(account=_account(request, filters.account))
    if filters.action is not None:
        entries = entries.filter(action=filters.action)
    if filters.user:
        entries = entries.filter(username__icontains=filters.user)
    if filters.outcome is not None:
        entries = entries.filter(ok=filters.outcome == "ok")
    if filters.since is not None:
        entries = entries.filter(created_at__gte=filters.since)
    if filters.until is not None:
        entries = entries.filter(created_at__lt=filters.until)
    return entries.order_by("-created_at", "-pk")
