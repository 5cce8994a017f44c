"""Notification rules per board, the alert episodes they follow, and every delivery with
each of its attempts (the delivery log)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wallboard.dashboards.models import Alert, Board, Level
from wallboard.monitoring.crypto import EncryptedTextField
from wallboard.monitoring.models import Queue


class Event(models.TextChoices):
    WARNING = "warning", _("Warning")
    ALARM = "alarm", _("Alarm")
    STALE = "stale", _("Stale data")
    RECOVERED = "recovered", _("Recovered")


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook (signed JSON)")
    EMAIL = "email", _("E-mail")
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")


# The channels whose destination is a URL (the e-mail channel has recipients instead).
URL_CHANNELS = frozenset({Channel.WEBHOOK, Channel.SLACK, Channel.TEAMS})


def split_recipients(text: str) -> list[str]:
    """The addresses of a recipients field: one per line, or separated by commas or
    semicolons."""
    return [part.strip() for part in re.split(r"[\s,;]+", text) if part.strip()]


class Rule(models.Model):
    """Who hears of a board's alerts, on which events, for which queues, and how."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="notification_rules")
    name = models.CharField(
        _("name"), max_length=100, help_text=_("e.g. 'Duty phone' or 'Support channel'")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    on_warning = models.BooleanField(_("on warning"), default=False)
    on_alarm = models.BooleanField(_("on alarm"), default=True)
    on_stale = models.BooleanField(
        _("on stale data"),
        default=True,
        help_text=_("The provider cannot be reached, so the board shows old figures."),
    )
    on_recovered = models.BooleanField(
        _("on recovery"),
        default=True,
        help_text=_("Back to normal, after an episode this rule was told about."),
    )
    queues = models.ManyToManyField(
        Queue,
        blank=True,
        related_name="+",
        verbose_name=_("queues"),
        help_text=_("Optional: only these queues (stale data: only their accounts)."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    url = EncryptedTextField(
        _("URL"),
        blank=True,
        help_text=_("Webhook, Slack or Teams: the address messages are posted to."),
    )
    recipients = models.TextField(
        _("recipients"),
        blank=True,
        help_text=_("E-mail: the addresses, separated by commas."),
    )
    secret = EncryptedTextField(
        _("signing secret"),
        blank=True,
        help_text=_("Webhook: the key of the HMAC-SHA256 signature the receiver checks."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["board__name", "name", "pk"]
        verbose_name = _("notification rule")
        verbose_name_plural = _("notification rules")

    def __str__(self) -> str:
        return f"{self.board}: {self.name}"

    def listens_to(self, event: Event) -> bool:
        return bool(getattr(self, f"on_{event.value}"))

    def event_labels(self) -> list[str]:
        return [str(event.label) for event in Event if self.listens_to(event)]

    @property
    def rising_events(self) -> set[Event]:
        """The events of an episode going up that this rule hears of."""
        return {e for e in (Event.WARNING, Event.ALARM, Event.STALE) if self.listens_to(e)}

    def destination(self) -> str:
        """Where messages go, safe to show: the host of a URL (its path may carry a token),
        or the e-mail recipients."""
        if self.channel == Channel.EMAIL:
            return ", ".join(split_recipients(self.recipients))
        return urlsplit(self.url).hostname or ""


class Episode(models.Model):
    """One alert of a board going up until it is shown OK again: each rule hears of each of
    its levels at most once, however often the figures cross the limits meanwhile."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    # The highest level the episode reached (the rules were told of it).
    peak = models.PositiveSmallIntegerField(choices=Level.choices)
    closed_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert"], condition=models.Q(closed_at=None), name="one_open_episode"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert} since {self.opened_at:%Y-%m-%d %H:%M:%S}"


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message for one rule about one transition of an episode; retried with back-off
    until it is delivered or given up. The log outlives a deleted rule."""

    # Sent with every attempt (``X-Wallboard-Delivery``): a receiver drops repeats by it.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    # What the log shows of the rule, as it was: its name, channel and destination.
    rule_name = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    destination = models.CharField(max_length=500)
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=10, choices=Event.choices)
    # What happened, frozen at the transition: every attempt sends the same facts.
    facts = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A sender working on it holds it until then (a sender killed mid-way loses it).
    lease_until = models.DateTimeField(null=True)
    delivered_at = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "episode", "event"], name="one_delivery_per_rule_and_transition"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.rule_name}: {self.get_event_display()} ({self.get_status_display()})"


class Attempt(models.Model):
    """One try at sending a delivery: when, how long, and the receiver's answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    # The HTTP status the receiver answered (none for e-mail, or when nothing answered).
    status_code = models.PositiveSmallIntegerField(null=True)
    # Empty when the attempt succeeded.
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or ''} {self.error or 'ok'}"

    @property
    def ok(self) -> bool:
        return not self.error
