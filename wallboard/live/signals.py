"""Close open sockets when a session ends, a person's rights change or a TV link ends."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from wallboard.accounts.models import AgentLink, Profile
from wallboard.dashboards.html import ticker
from wallboard.dashboards.models import Board, TickerMessage, TvLink
from wallboard.live.push import board_group, end_sessions, send_to_group, tv_group, user_group

User = get_user_model()


@receiver(user_logged_out)
def close_sockets_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        transaction.on_commit(partial(end_sessions, user_group(user.pk)))


# What a saved row was before the save, for the fields whose change narrows what a person
# may see (or ends their session: a new password does).
WATCHED: dict[type[Any], tuple[str, ...]] = {
    Profile: ("role",),
    User: ("password", "is_active", "is_superuser"),
    AgentLink: ("agent_id",),
}


def _remember(sender: Any, instance: Any, **kwargs: Any) -> None:
    fields = WATCHED[sender]
    instance._before = sender.objects.filter(pk=instance.pk).values_list(*fields).first()


def _changed(sender: type[Any], instance: Any) -> bool:
    before = getattr(instance, "_before", None)
    return before is not None and before != tuple(getattr(instance, f) for f in WATCHED[sender])


for _model in WATCHED:
    pre_save.connect(_remember, sender=_model, dispatch_uid=f"remember-{_model.__name__}")


@receiver(post_save, sender=Profile)
def close_sockets_on_role_change(sender: Any, instance: Profile, **kwargs: Any) -> None:
    if _changed(Profile, instance):
        _end_sessions_on_commit(instance.user_id)


@receiver(post_save, sender=User)
def close_sockets_on_account_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Deactivated, a new password (the admin's reset ends the HTTP session too), or the
    superuser flag changed."""
    if not instance.is_active or _changed(User, instance):
        _end_sessions_on_commit(instance.pk)


@receiver(post_save, sender=AgentLink)
def close_sockets_on_relink(sender: Any, instance: AgentLink, **kwargs: Any) -> None:
    """The user now is another agent: their panel must stop showing the old one."""
    if _changed(AgentLink, instance):
        _end_sessions_on_commit(instance.user_id)


def _end_sessions_on_commit(user_id: int) -> None:
    transaction.on_commit(partial(end_sessions, user_group(user_id)))


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
        transaction.on_commit(partial(end_sessions, tv_group(instance.pk)))


@receiver(post_delete, sender=TvLink)
def close_sockets_of_a_deleted_tv_link(sender: Any, instance: TvLink, **kwargs: Any) -> None:
    # The group is named now: a deleted row's pk is None by the time the commit comes.
    transaction.on_commit(partial(end_sessions, tv_group(instance.pk)))


@receiver(m2m_changed, sender=Board.accounts.through)
@receiver(m2m_changed, sender=Board.queues.through)
def close_sockets_on_board_change(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    """A board's accounts or queues changed: its TVs reconnect and show the new selection.
    Edited from the board's side (the admin, the editor); from the other side ``instance``
    is an account or a queue, and every board it was added to or removed from changes."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    boards = [instance.pk] if isinstance(instance, Board) else list(kwargs.get("pk_set") or ())
    for board_pk in boards:
        transaction.on_commit(partial(end_sessions, board_group(board_pk)))


@receiver(post_save, sender=Board)
def reload_screens_on_board_change(sender: Any, instance: Board, **kwargs: Any) -> None:
    """Its widgets, rotation or theme changed (the editor, the admin): its screens reload."""
    transaction.on_commit(partial(end_sessions, board_group(instance.pk)))


@receiver(post_save, sender=TickerMessage)
def push_a_ticker_message(sender: Any, instance: TickerMessage, **kwargs: Any) -> None:
    """A supervisor's message goes to the board's open screens at once."""
    message = {"type": "board.update", "html": ticker(instance, oob=True)}
    transaction.on_commit(partial(send_to_group, board_group(instance.board_id), message))
