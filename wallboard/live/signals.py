"""Close open sockets when a session ends, a person's rights change or a TV link ends."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from wallboard.accounts.models import AgentLink, Profile
from wallboard.dashboards.models import TvLink
from wallboard.live.push import end_sessions, tv_group, user_group

User = get_user_model()


@receiver(user_logged_out)
def close_sockets_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        transaction.on_commit(lambda: end_sessions(user_group(user.pk)))


@receiver(pre_save, sender=Profile)
def _remember_role(sender: Any, instance: Profile, **kwargs: Any) -> None:
    old = Profile.objects.filter(pk=instance.pk).values_list("role", flat=True).first()
    instance._old_role = old  # type: ignore[attr-defined]


@receiver(post_save, sender=Profile)
def close_sockets_on_role_change(sender: Any, instance: Profile, **kwargs: Any) -> None:
    old = getattr(instance, "_old_role", None)
    if old is not None and old != instance.role:
        transaction.on_commit(lambda: end_sessions(user_group(instance.user_id)))


@receiver(post_save, sender=User)
def close_sockets_on_deactivation(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not instance.is_active:
        transaction.on_commit(lambda: end_sessions(user_group(instance.pk)))


def _end_sessions_on_commit(user_id: int) -> None:
    transaction.on_commit(lambda: end_sessions(user_group(user_id)))


@receiver(m2m_changed, sender=Profile.accounts.through)
@receiver(m2m_changed, sender=Profile.queues.through)
def close_sockets_on_scope_change(
    sender: Any, instance: Profile, action: str, **kwargs: Any
) -> None:
    """A supervisor's accounts or queues changed: reconnecting applies the new scope (an added
    queue narrows it too, since no queues means all of them). Both relations are edited from
    the profile's side only (``related_name="+"``)."""
    if action in ("post_add", "post_remove", "post_clear"):
        _end_sessions_on_commit(instance.user_id)


@receiver(post_delete, sender=AgentLink)
def close_sockets_on_unlink(sender: Any, instance: AgentLink, **kwargs: Any) -> None:
    _end_sessions_on_commit(instance.user_id)


@receiver(post_delete, sender=User)
def close_sockets_on_user_deletion(sender: Any, instance: Any, **kwargs: Any) -> None:
    _end_sessions_on_commit(instance.pk)


@receiver(post_save, sender=TvLink)
def close_sockets_of_an_ended_tv_link(sender: Any, instance: TvLink, **kwargs: Any) -> None:
    """Revoked (or its expiry moved into the past): the TVs showing it go dark at once."""
    if not instance.active:
        transaction.on_commit(lambda: end_sessions(tv_group(instance.pk)))


@receiver(post_delete, sender=TvLink)
def close_sockets_of_a_deleted_tv_link(sender: Any, instance: TvLink, **kwargs: Any) -> None:
    transaction.on_commit(lambda: end_sessions(tv_group(instance.pk)))
