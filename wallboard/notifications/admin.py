from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from wallboard.notifications.forms import AdminRuleForm
from wallboard.notifications.models import Attempt, Delivery, Rule


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = AdminRuleForm
    list_display = ["name", "board", "channel", "destination", "enabled"]
    list_filter = ["board", "channel", "enabled"]
    search_fields = ["name", "board__name"]
    fields = [
        "board",
        "name",
        "enabled",
        "channel",
        "url",
        "recipients",
        "secret",
        "on_warning",
        "on_alarm",
        "on_stale",
        "on_recovered",
        "queues",
        "language",
    ]


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "status_code", "error"]
    readonly_fields = ["number", "started_at", "duration_ms", "status_code", "error"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The delivery log, read-only: what was sent, and each attempt."""

    inlines = [AttemptInline]
    list_display = ["created_at", "board", "rule_name", "channel", "event", "status", "attempts"]
    list_filter = ["status", "channel", "event", "board"]
    readonly_fields = [
        "key",
        "board",
        "rule",
        "rule_name",
        "channel",
        "destination",
        "episode",
        "event",
        "facts",
        "created_at",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    ]
    exclude = ["lease_until"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
