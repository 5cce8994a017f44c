"""Boards (what a wall screen shows, with its thresholds) and their read-only TV links."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wallboard.monitoring.models import ProviderAccount, Queue

TV_SALT = "wallboard.tv-link"


class Board(models.Model):
    name = models.CharField(max_length=100)
    accounts = models.ManyToManyField(ProviderAccount, related_name="boards")
    queues = models.ManyToManyField(
        Queue,
        blank=True,
        related_name="boards",
        help_text=_("Optional: show only these queues (and their agents)."),
    )
    waiting_warn = models.PositiveIntegerField(null=True, blank=True)
    waiting_alarm = models.PositiveIntegerField(null=True, blank=True)
    longest_wait_warn_s = models.PositiveIntegerField(null=True, blank=True)
    longest_wait_alarm_s = models.PositiveIntegerField(null=True, blank=True)
    sla_warn_pct = models.FloatField(null=True, blank=True, help_text=_("Warn below this SLA %."))
    sla_alarm_pct = models.FloatField(null=True, blank=True, help_text=_("Alarm below this SLA %."))
    ready_warn = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Warn when fewer agents than this are ready.")
    )
    ready_alarm = models.PositiveIntegerField(null=True, blank=True)
    sound = models.BooleanField(default=True, help_text=_("TVs may play a sound on alarm."))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _default_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.TV_LINK_DAYS)


class TvLink(models.Model):
    """A read-only link a TV opens without logging in. The URL carries a signed id plus a
    random key; revoking or expiry ends it at once, including open sockets."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="tv_links")
    label = models.CharField(max_length=100, blank=True, help_text=_("e.g. 'TV by the door'"))
    key = models.CharField(max_length=64, default=secrets.token_urlsafe, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_default_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.board}: {self.label or self.pk}"

    @property
    def token(self) -> str:
        return signing.dumps({"id": self.pk, "key": self.key}, salt=TV_SALT)

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def revoke(self) -> None:
        """End this link now; the sockets of TVs showing it close on commit
        (``wallboard.live.signals``)."""
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    @classmethod
    def from_token(cls, token: str) -> TvLink | None:
        """The active link a token names, or None (bad signature, revoked, expired)."""
        try:
            data = signing.loads(token, salt=TV_SALT)
        except signing.BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        link = cls.objects.filter(pk=data.get("id"), key=str(data.get("key", ""))).first()
        return link if link is not None and link.active else None


class Level(models.IntegerChoices):
    OK = 0, _("OK")
    WARN = 1, _("Warning")
    ALARM = 2, _("Alarm")


class QueueThreshold(models.Model):
    """A board's own limits for one queue, overriding the board's defaults."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="queue_thresholds")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    waiting_warn = models.PositiveIntegerField(null=True, blank=True)
    waiting_alarm = models.PositiveIntegerField(null=True, blank=True)
    longest_wait_warn_s = models.PositiveIntegerField(null=True, blank=True)
    longest_wait_alarm_s = models.PositiveIntegerField(null=True, blank=True)
    sla_warn_pct = models.FloatField(null=True, blank=True)
    sla_alarm_pct = models.FloatField(null=True, blank=True)
    ready_warn = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Warn when fewer agents than this are ready.")
    )
    ready_alarm = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "queue"], name="one_threshold_per_queue")
        ]

    def __str__(self) -> str:
        return f"{self.board}: {self.queue}"


class Alert(models.Model):
    """The alert level a board currently shows for a queue (or, with no queue, for a stale
    account), and a lower level waiting out the cool-down before it is shown."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="alerts")
    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey(Queue, null=True, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.OK)
    since = models.DateTimeField(default=timezone.now)
    pending_level = models.PositiveSmallIntegerField(choices=Level.choices, null=True)
    pending_since = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "account", "queue"], name="one_alert_per_slot"
            ),
            models.UniqueConstraint(
                fields=["board", "account"],
                condition=models.Q(queue=None),
                name="one_stale_alert_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.board} {self.queue or self.account}: {self.get_level_display()}"
