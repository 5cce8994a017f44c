from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wallboard.dashboards.models import Alert, Board, QueueThreshold, TvLink


class TvLinkInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TvLink
    extra = 0
    fields = ["label", "url", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["url", "created_at", "revoked_at"]

    @admin.display(description=_("link"))
    def url(self, link: TvLink) -> str:
        if not link.pk:
            return "-"
        if not link.active:
            return str(_("(revoked or expired)"))
        return format_html('<a href="{0}">{0}</a>', reverse("tv", args=[link.token]))


class QueueThresholdInline(admin.TabularInline):  # type: ignore[type-arg]
    model = QueueThreshold
    extra = 0
    autocomplete_fields = ["queue"]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    inlines = [QueueThresholdInline, TvLinkInline]
    filter_horizontal = ["accounts", "queues"]
    list_display = ["name"]


@admin.register(TvLink)
class TvLinkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["board", "label", "created_at", "expires_at", "revoked_at", "last_seen_at"]
    actions = ["revoke"]
    readonly_fields = ["revoked_at"]

    @admin.action(description=_("Revoke the selected TV links (their screens go dark at once)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[TvLink]) -> None:
        for link in queryset.filter(revoked_at=None):
            link.revoke()
        messages.success(request, _("Revoked."))


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["board", "account", "queue", "level", "since"]
    list_filter = ["board", "level"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
