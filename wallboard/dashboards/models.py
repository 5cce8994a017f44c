"""Boards (what a wall screen shows, with its thresholds) and their read-only TV links."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wallboard.dashboards.browsers import browser_name
from wallboard.monitoring.models import ProviderAccount, Queue

TV_SALT = "wallboard.tv-link"
TIMES = "\u00d7"  # the multiplication sign of "1366 by 768"


class Widget(models.TextChoices):
    """What a board can show, in the order its ``widgets`` list names them."""

    QUEUES = "queues", _("Queue tiles")
    AGENTS = "agents", _("Agent grid")
    CALLERS = "callers", _("Waiting callers")
    SUMMARY = "summary", _("Queue summary table")
    LEADERS = "leaders", _("Leaderboard")


def default_widgets() -> list[str]:
    return [Widget.QUEUES.value, Widget.AGENTS.value]


class AgentGrid(models.TextChoices):
    ALL = "all", _("All agents")
    NOT_READY = "not_ready", _("Only agents not ready")
    HIDDEN = "hidden", _("Hidden")


class Theme(models.TextChoices):
    DARK = "dark", _("Dark")
    LIGHT = "light", _("Light")
    HIGH_CONTRAST = "high-contrast", _("High contrast")


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
    # The widgets shown, in order (``Widget`` values); the agent grid only when listed.
    widgets = models.JSONField(default=default_widgets)
    agent_grid = models.CharField(max_length=20, choices=AgentGrid.choices, default=AgentGrid.ALL)
    rotate_s = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
        help_text=_("Seconds each page stays on screen when the TV needs several."),
    )
    theme = models.CharField(max_length=20, choices=Theme.choices, default=Theme.DARK)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def shown_widgets(self) -> list[str]:
        """The widgets a screen shows, in order (a hidden agent grid is none of them)."""
        hidden = {Widget.AGENTS.value} if self.agent_grid == AgentGrid.HIDDEN else set()
        known = set(Widget.values) - hidden
        return [w for w in self.widgets if w in known]


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
    # What its TV said in its last hello (ADR 027), and when a TV was last connected.
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    screen_w = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    screen_h = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    pixel_ratio = models.FloatField(null=True, blank=True, editable=False)
    viewport_w = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    viewport_h = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    user_agent = models.CharField(max_length=512, blank=True, editable=False)

    def __str__(self) -> str:
        return f"{self.board}: {self.label or self.pk}"

    @property
    def screen_size(self) -> str:
        """Its screen ("1366 by 768", with the sign), with the pixel ratio and the
        browser's window where they differ from 1 and from the screen."""
        if self.screen_w is None or self.screen_h is None:
            return ""
        size = f"{self.screen_w}{TIMES}{self.screen_h}"
        if self.pixel_ratio and self.pixel_ratio != 1:
            size += f" @{self.pixel_ratio:g}x"
        if (self.viewport_w, self.viewport_h) != (self.screen_w, self.screen_h):
            window = f"{self.viewport_w}{TIMES}{self.viewport_h}"
            size += " " + _("(window %(size)s)") % {"size": window}
        return size

    @property
    def browser(self) -> str:
        return browser_name(self.user_agent) if self.user_agent else ""

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


class TickerMessage(models.Model):
    """Text a supervisor puts on a board's screens until it expires; the newest one shows."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="messages")
    text = models.CharField(max_length=280)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.board}: {self.text}"

    @classmethod
    def current(cls, board: Board) -> TickerMessage | None:
        return cls.objects.filter(board=board, expires_at__gt=timezone.now()).first()


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
    # The queue's targets, set in the board editor: the tile's SLA and wait limits follow
    # from them where the limits above are not set (``alerts.Limits.of``), and Erlang C
    # counts the agents they take.
    sla_target_pct = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    sla_threshold_s = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3600)]
    )
    max_wait_s = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(86400)]
    )

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
