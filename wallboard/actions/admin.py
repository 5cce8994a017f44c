from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wallboard.actions.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created_at", "username", "role", "account", "action", "target", "ok"]
    list_filter = ["ok", "action", "role", "account"]
    search_fields = ["username", "target", "error"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
