"""Close open sockets when a session ends or a person's rights change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from wallboard.accounts.models import Profile
from wallboard.live.push import end_sessions, user_group

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
