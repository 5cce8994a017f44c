"""Provider accounts, the current call-center state, its history, and the poll log.

Current state is one row per queue and per agent (plus the waiting and active calls);
history grows with changes only: agent status spans and queue samples.
"""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.base import AccountConfig
from providers.model import AgentStatus, CallDirection, PauseType
from providers.registry import PROVIDERS
from wallboard.monitoring.crypto import EncryptedJSONField, EncryptedTextField

TIME_ZONES = sorted(zoneinfo.available_timezones())

STATUS_LABELS = {
    AgentStatus.OFFLINE: _("Offline"),
    AgentStatus.LOGGED_IN: _("Logged in"),
    AgentStatus.IDLE: _("Ready"),
    AgentStatus.RINGING: _("Ringing"),
    AgentStatus.DIALING: _("Dialling"),
    AgentStatus.TALKING: _("Talking"),
    AgentStatus.ON_HOLD: _("On hold"),
    AgentStatus.WRAP_UP: _("Wrap-up"),
    AgentStatus.PAUSED: _("Paused"),
    AgentStatus.UNAVAILABLE: _("Unavailable"),
    AgentStatus.UNKNOWN: _("Unknown"),
}


def vendor_choices() -> list[tuple[str, str]]:
    return [(key, provider.title) for key, provider in PROVIDERS.items()]


class ProviderAccount(models.Model):
    name = models.CharField(max_length=100)
    vendor = models.CharField(max_length=20, choices=vendor_choices)
    base_url = models.URLField(help_text=_("What precedes /api/ in the vendor's URLs."))
    options = models.JSONField(default=dict, blank=True)
    secrets = EncryptedJSONField(blank=True, default=dict)
    time_zone = models.CharField(
        max_length=64,
        default="Europe/Prague",
        choices=[(tz, tz) for tz in TIME_ZONES],
        help_text=_("The zone the vendor's naive timestamps are in."),
    )
    # Reports cut the history into this account's days: from this local time to the same
    # time the next day, in ``time_zone`` (a night-shift center may start its day at 06:00).
    day_starts_at = models.TimeField(
        default=time(0, 0),
        help_text=_("Local time (in the account's time zone) at which a reporting day starts."),
    )
    poll_interval_s = models.PositiveIntegerField(default=2)
    enabled = models.BooleanField(default=True)

    # Bumped in the same transaction as every stored change: messages carry it so a browser
    # can tell it missed one, and the poller's in-memory copy of the state can tell it is old.
    seq = models.BigIntegerField(default=0)

    # Scheduling: a worker claims a due account by moving lease_until into the future with one
    # atomic UPDATE; a worker killed mid-poll loses the lease when it expires.
    next_poll_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    # The vendor change feed (ADR 019): which watcher holds it (claimed and renewed with
    # atomic UPDATEs, like polls) and whether it delivers now ("live feed" on the board).
    feed_owner = models.CharField(max_length=100, blank=True)
    feed_lease_until = models.DateTimeField(null=True, blank=True)
    feed_live = models.BooleanField(default=False)

    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    stale_parts = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["enabled", "next_poll_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_vendor_display()})"

    def config(self) -> AccountConfig:
        return AccountConfig(
            base_url=self.base_url.rstrip("/"),
            secrets=dict(self.secrets),
            options={k: str(v) for k, v in self.options.items()},
            time_zone=self.time_zone,
        )


class Queue(models.Model):
    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="queues")
    vendor_id = models.CharField(max_length=100)
    number = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200)
    calls_waiting = models.IntegerField(null=True)
    # The vendor reports "longest wait N s" at poll time; we keep when that caller started
    # waiting, so the number ticks in the browser and an unchanged queue writes nothing.
    longest_wait_since = models.DateTimeField(null=True)
    agents_total = models.IntegerField(null=True)
    agents_ready = models.IntegerField(null=True)
    agents_busy = models.IntegerField(null=True)
    agents_paused = models.IntegerField(null=True)
    answered = models.IntegerField(null=True)
    abandoned = models.IntegerField(null=True)
    service_level_pct = models.FloatField(null=True)
    sl_threshold_s = models.IntegerField(null=True)
    avg_wait_s = models.IntegerField(null=True)
    avg_talk_s = models.IntegerField(null=True)
    capacity = models.IntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "vendor_id"], name="queue_vendor_id")
        ]
        ordering = ["account_id", "name", "vendor_id"]

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    STATUS_CHOICES = [(s.value, STATUS_LABELS[s]) for s in AgentStatus]

    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="agents")
    vendor_id = models.CharField(max_length=100)
    login = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200)
    extension = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, default=AgentStatus.UNKNOWN)
    raw_status = models.CharField(max_length=100, blank=True)
    status_since = models.DateTimeField(null=True)
    pause_reason_id = models.CharField(max_length=100, blank=True)
    pause_reason = models.CharField(max_length=200, blank=True)
    # VoIPSUN acts on agents by their agent number and PIN (set by an admin).
    vendor_number = models.CharField(max_length=50, blank=True)
    pin = EncryptedTextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "vendor_id"], name="agent_vendor_id")
        ]
        ordering = ["account_id", "name", "vendor_id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="memberships")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    penalty = models.IntegerField(null=True)
    static = models.BooleanField(default=False)
    logged_in = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "queue"], name="membership_agent_queue")
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} in {self.queue_id}"


class PauseReason(models.Model):
    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="pause_reasons"
    )
    vendor_id = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    type = models.CharField(
        max_length=10, choices=[(t.value, t.value) for t in PauseType], default=PauseType.NORMAL
    )
    paid = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "vendor_id"], name="pause_vendor_id")
        ]
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class WaitingCall(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="waiting_calls")
    position = models.IntegerField()
    caller = models.CharField(max_length=100, blank=True)
    caller_name = models.CharField(max_length=200, blank=True)
    waiting_since = models.DateTimeField(null=True)
    call_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["queue_id", "position"]

    def __str__(self) -> str:
        return f"{self.caller} #{self.position}"


class ActiveCall(models.Model):
    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="active_calls"
    )
    call_id = models.CharField(max_length=100)
    agent = models.ForeignKey(Agent, null=True, on_delete=models.SET_NULL)
    queue = models.ForeignKey(Queue, null=True, on_delete=models.SET_NULL)
    direction = models.CharField(
        max_length=3, blank=True, choices=[(d.value, d.value) for d in CallDirection]
    )
    number = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=20, choices=Agent.STATUS_CHOICES)
    since = models.DateTimeField(null=True)
    channel = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "call_id"], name="active_call_id")
        ]

    def __str__(self) -> str:
        return self.call_id


class AgentStatusSpan(models.Model):
    """One stretch of time an agent spent in one status; ``ended_at`` is null while open."""

    # The (agent, started_at) index serves the foreign key too.
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="spans", db_index=False)
    status = models.CharField(max_length=20, choices=Agent.STATUS_CHOICES)
    pause_reason = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            # Also finds an agent's open span: its newest one.
            models.Index(fields=["agent", "started_at"]),
            # For pruning. No index holds ended_at, so closing a span changes no indexed
            # column and is a HOT update (no new index entries); BRIN, because rows arrive
            # in started_at order and a B-tree would add ~20 bytes per row.
            BrinIndex(fields=["started_at"], name="span_started_brin", autosummarize=True),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.status} from {self.started_at:%H:%M:%S}"


class QueueSample(models.Model):
    """The queue's headline numbers, written only when one of them changed."""

    # The (queue, taken_at) index serves the foreign key too.
    queue = models.ForeignKey(
        Queue, on_delete=models.CASCADE, related_name="samples", db_index=False
    )
    taken_at = models.DateTimeField()
    calls_waiting = models.IntegerField(null=True)
    longest_wait_s = models.IntegerField(null=True)
    agents_ready = models.IntegerField(null=True)
    agents_busy = models.IntegerField(null=True)
    agents_paused = models.IntegerField(null=True)
    service_level_pct = models.FloatField(null=True)
    # The vendor's running counters (None where it does not report them).
    answered = models.IntegerField(null=True)
    abandoned = models.IntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["queue", "taken_at"]),
            # For pruning: rows arrive in taken_at order (see AgentStatusSpan).
            BrinIndex(fields=["taken_at"], name="sample_taken_brin", autosummarize=True),
        ]

    def __str__(self) -> str:
        return f"{self.queue_id} at {self.taken_at:%H:%M:%S}"


class PollLog(models.Model):
    """Failures, recoveries and polls that changed something (not every quiet poll)."""

    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="polls")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.FloatField()
    ok = models.BooleanField()
    changes = models.IntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "started_at"]),
            models.Index(fields=["started_at"], name="polllog_prune"),
        ]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.account_id} at {self.started_at:%H:%M:%S}"
