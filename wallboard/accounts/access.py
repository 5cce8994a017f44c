"""Object rules, enforced on the server (DESIGN §8).

An agent acts only on themself, a supervisor only within their accounts (and queues, when
scoped), an admin anywhere, a viewer never. Views ask these functions; templates only use
them to hide what would be refused anyway.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from wallboard.accounts.models import AgentLink, Profile, Role
from wallboard.monitoring.models import Agent, ProviderAccount, Queue

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


def visible_accounts(user: AnyUser) -> QuerySet[ProviderAccount]:
    accounts = ProviderAccount.objects.filter(enabled=True).order_by("name", "pk")
    role = role_of(user)
    if role is Role.ADMIN:
        return accounts
    if role is Role.AGENT:
        return accounts.filter(pk__in=AgentLink.objects.filter(user_id=_pk(user)).values("account"))
    if role in (Role.SUPERVISOR, Role.VIEWER):
        return accounts.filter(pk__in=Profile.objects.filter(user_id=_pk(user)).values("accounts"))
    return accounts.none()


def linked_agent(user: AnyUser, account: ProviderAccount) -> Agent | None:
    link = AgentLink.objects.filter(user_id=_pk(user), account=account).select_related("agent")
    first = link.first()
    return first.agent if first else None


def _queue_scope(user: AnyUser) -> set[int]:
    return set(Profile.objects.filter(user_id=_pk(user)).values_list("queues", flat=True)) - {None}


def can_act(
    user: AnyUser,
    account: ProviderAccount,
    *,
    agent: Agent | None = None,
    queue: Queue | None = None,
    self_service: bool = False,
) -> bool:
    """May ``user`` perform an action on ``agent``/``queue`` of ``account``?

    ``self_service`` marks the actions an agent may do to themself (pause, unpause, their
    own queue log-in/out).
    """
    role = role_of(user)
    if role is Role.ADMIN:
        return True
    if role is Role.AGENT:
        return self_service and agent is not None and linked_agent(user, account) == agent
    if role is not Role.SUPERVISOR:
        return False
    if not visible_accounts(user).filter(pk=account.pk).exists():
        return False
    scope = _queue_scope(user)
    if not scope:
        return True
    if queue is not None:
        return queue.pk in scope
    if agent is not None:
        return agent.memberships.filter(queue_id__in=scope).exists()
    return False


def can_supervise(user: AnyUser) -> bool:
    return role_of(user) in (Role.ADMIN, Role.SUPERVISOR)


def is_admin(user: AnyUser) -> bool:
    return role_of(user) is Role.ADMIN
