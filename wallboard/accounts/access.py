"""Who may see and do what, enforced on the server (DESIGN §8, ADR 016).

A view computes the person's ``Scope`` once per request (``scope_for``) and asks it;
templates only use it to hide what would be refused anyway.

What each role sees
  ==========  ==============================================================================
  admin       every enabled account, whole
  supervisor  the accounts of their profile; when the profile names queues, only those
              queues, and an account with none of them is not seen at all
  viewer      as a supervisor
  agent       the accounts they are linked to, whole (the board); their own panel
  TV link     the board's accounts and queues (no session: ``BoardView.for_board``)
  ==========  ==============================================================================

What a selection of queues shows (a scope, a board's queues, a ``?queue=`` filter)
  ==========  ==============================================================================
  queue       the selected queues
  agent       a member of a selected queue (a membership row, logged in or not)
  call        a call of a shown agent, or a call that came through a selected queue
  waiting     the callers waiting in a selected queue
  membership  an agent's memberships of selected queues only
  ==========  ==============================================================================

Who may act on what (``Scope.may_act``), on an account the person sees
  ===========  =============================================================================
  admin        anything
  supervisor   agent: the agent is shown, before the action (logging an agent into one of
               your queues does not bring them into your scope)
               call: the call is shown (its agent is shown, or it came through a selected
               queue)
               queue (membership, default campaign): the queue is selected
               destination (transfer): a selected queue, a shown agent, or a number that is
               not the number or extension of a queue or agent out of scope
  agent        only the self-service actions (pause, unpause, own queue log-in/out), only
               on their own agent, in any queue of the account
  viewer, TV   nothing
  ===========  =============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from wallboard.accounts.models import AgentLink, Profile, Role
from wallboard.monitoring.models import ActiveCall, Agent, Membership, ProviderAccount, Queue

AnyUser = AbstractBaseUser | AnonymousUser


def _pk(user: AnyUser) -> int:
    """The id of a signed-in user (callers check ``is_authenticated`` first)."""
    return int(user.pk or 0)


def role_of(user: AnyUser) -> Role | None:
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    profile = Profile.objects.filter(user_id=_pk(user)).only("role").first()
    return Role(profile.role) if profile else Role.VIEWER


@dataclass(frozen=True)
class Target:
    """What an action is done to, and where a transfer sends the call."""

    agent: Agent | None = None
    call: ActiveCall | None = None
    # The queue a membership or default-campaign action is about.
    queue: Queue | None = None
    to_queue: Queue | None = None
    to_agent: Agent | None = None
    to_number: str = ""

    def describe(self) -> str:
        """The audit log's words for it: ``agent <id> <name>, call <id> <number>, …``.

        The call's agent comes first, so an entry on a call names the agent it was with.
        """
        agent = self.agent or (self.call.agent if self.call else None)
        parts = []
        if agent is not None:
            parts.append(f"agent {agent.vendor_id} {agent.name}")
        if self.queue is not None:
            parts.append(f"queue {self.queue.vendor_id} {self.queue.name}")
        if self.call is not None:
            parts.append(f"call {self.call.call_id} {self.call.number}")
        if self.to_queue is not None:
            parts.append(f"to queue {self.to_queue.vendor_id} {self.to_queue.name}")
        if self.to_agent is not None:
            parts.append(f"to agent {self.to_agent.vendor_id} {self.to_agent.name}")
        if self.to_number:
            parts.append(f"to number {self.to_number}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Scope:
    """What one person sees and may act on, read once per request."""

    role: Role | None
    user_id: int
    account_ids: frozenset[int]
    # None: the accounts are seen whole.
    queue_ids: frozenset[int] | None = None
    own_agent_ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, user: AnyUser) -> Scope:
        role = role_of(user)
        enabled = ProviderAccount.objects.filter(enabled=True)
        if role is Role.ADMIN:
            return cls(role, _pk(user), frozenset(enabled.values_list("pk", flat=True)))
        if role is Role.AGENT:
            links = AgentLink.objects.filter(user_id=_pk(user), account__enabled=True)
            return cls(
                role,
                _pk(user),
                frozenset(links.values_list("account_id", flat=True)),
                own_agent_ids=frozenset(links.values_list("agent_id", flat=True)),
            )
        if role not in (Role.SUPERVISOR, Role.VIEWER):
            return cls(role, _pk(user), frozenset())
        profile = Profile.objects.filter(user_id=_pk(user)).first()
        if profile is None:
            return cls(role, _pk(user), frozenset())
        accounts = set(profile.accounts.filter(enabled=True).values_list("pk", flat=True))
        chosen = list(profile.queues.values_list("pk", "account_id"))
        if not chosen:
            return cls(role, _pk(user), frozenset(accounts))
        queue_ids = frozenset(pk for pk, account in chosen if account in accounts)
        in_queues = {account for pk, account in chosen if pk in queue_ids}
        return cls(role, _pk(user), frozenset(in_queues), queue_ids)

    # -- what is seen -------------------------------------------------------------------

    def accounts(self) -> QuerySet[ProviderAccount]:
        return ProviderAccount.objects.filter(pk__in=self.account_ids).order_by("name", "pk")

    def queues(self, account: ProviderAccount) -> QuerySet[Queue]:
        queues = Queue.objects.filter(account=account, account_id__in=self.account_ids)
        return queues if self.queue_ids is None else queues.filter(pk__in=self.queue_ids)

    def agents(self, account: ProviderAccount) -> QuerySet[Agent]:
        agents = Agent.objects.filter(account=account, account_id__in=self.account_ids)
        return agents if self.agent_ids is None else agents.filter(pk__in=self.agent_ids)

    @cached_property
    def agent_ids(self) -> frozenset[int] | None:
        """The agents in scope when it is a selection of queues: their members."""
        if self.queue_ids is None:
            return None
        members = Membership.objects.filter(queue_id__in=self.queue_ids)
        return frozenset(members.values_list("agent_id", flat=True))

    def sees_account(self, account: ProviderAccount) -> bool:
        return account.pk in self.account_ids

    def sees_queue(self, queue: Queue) -> bool:
        return queue.account_id in self.account_ids and (
            self.queue_ids is None or queue.pk in self.queue_ids
        )

    def sees_agent(self, agent: Agent) -> bool:
        return agent.account_id in self.account_ids and (
            self.agent_ids is None or agent.pk in self.agent_ids
        )

    def sees_call(self, call: ActiveCall) -> bool:
        if call.account_id not in self.account_ids:
            return False
        if self.queue_ids is None:
            return True
        return (call.agent is not None and self.sees_agent(call.agent)) or (
            call.queue_id is not None and call.queue_id in self.queue_ids
        )

    def sees_number(self, account: ProviderAccount, number: str) -> bool:
        """A number is out of scope when it is how one reaches a queue or an agent out of
        scope (a transfer to it would bypass the queue and agent rules)."""
        if self.queue_ids is None:
            return self.sees_account(account)
        queues = Queue.objects.filter(account=account, number=number)
        agents = Agent.objects.filter(
            Q(extension=number) | Q(vendor_number=number), account=account
        )
        return (
            self.sees_account(account)
            and not queues.exclude(pk__in=self.queue_ids).exists()
            and not agents.exclude(pk__in=self.agent_ids or ()).exists()
        )

    # -- what may be done ---------------------------------------------------------------

    def may_try(self, *, self_service: bool) -> bool:
        """Could this person's role do the action to anyone? Asked before the form is read,
        so a viewer or an agent is refused outright, not told how to fill it in."""
        if self.role is Role.AGENT:
            return self_service
        return self.role in (Role.ADMIN, Role.SUPERVISOR)

    def may_act(self, account: ProviderAccount, target: Target, *, self_service: bool) -> bool:
        """May this person do an action (``self_service``: agents may do it to themselves)
        to ``target`` on ``account``? The rules are the table at the top of this module."""
        if not self.sees_account(account) or (target.agent is None and target.call is None):
            return False
        if self.role is Role.ADMIN:
            return True
        if self.role is Role.AGENT:
            return (
                self_service
                and target.call is None
                and target.agent is not None
                and target.agent.pk in self.own_agent_ids
            )
        if self.role is not Role.SUPERVISOR:
            return False
        checks = [
            target.agent is None or self.sees_agent(target.agent),
            target.call is None or self.sees_call(target.call),
            target.queue is None or self.sees_queue(target.queue),
            target.to_queue is None or self.sees_queue(target.to_queue),
            target.to_agent is None or self.sees_agent(target.to_agent),
            not target.to_number or self.sees_number(account, target.to_number),
        ]
        return all(checks)

    def may_supervise(self, agent: Agent) -> bool:
        """May this person open the console's action panel of ``agent``?"""
        return self.role in (Role.ADMIN, Role.SUPERVISOR) and self.sees_agent(agent)


def scope_for(request: HttpRequest) -> Scope:
    """The person's scope, read once per request."""
    scope: Scope | None = getattr(request, "_wallboard_scope", None)
    if scope is None:
        scope = Scope.of(request.user)
        request._wallboard_scope = scope  # type: ignore[attr-defined]
    return scope


def visible_accounts(user: AnyUser) -> QuerySet[ProviderAccount]:
    return Scope.of(user).accounts()


def linked_agent(user: AnyUser, account: ProviderAccount) -> Agent | None:
    link = AgentLink.objects.filter(user_id=_pk(user), account=account).select_related("agent")
    first = link.first()
    return first.agent if first else None


def can_supervise(user: AnyUser) -> bool:
    return role_of(user) in (Role.ADMIN, Role.SUPERVISOR)


def is_admin(user: AnyUser) -> bool:
    return role_of(user) is Role.ADMIN
