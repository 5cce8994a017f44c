from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from wallboard.accounts.models import AgentLink, ApiToken, Profile
from wallboard.accounts.tokens import PREFIX, issue

User = get_user_model()


class ProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Profile
    can_delete = False
    filter_horizontal = ["accounts", "queues"]


class AgentLinkInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AgentLink
    extra = 0
    fields = ["agent"]
    autocomplete_fields = ["agent"]


admin.site.unregister(User)


@admin.register(User)
class WallboardUserAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = [ProfileInline, AgentLinkInline]
    list_display = ["username", "role", "is_active", "last_login"]

    @admin.display(description=_("role"))
    def role(self, user: object) -> str:
        profile = getattr(user, "profile", None)
        return profile.get_role_display() if profile else "-"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Tokens of anyone: made here for a person (shown once, on the page that follows),
    renamed, given an expiry, or deleted, which revokes them at once."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at"]
    list_filter = ["created_at", "last_used_at"]
    search_fields = ["name", "key_id", "user__username"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    @admin.display(description=_("prefix"), ordering="key_id")
    def prefix(self, token: ApiToken) -> str:
        return f"{PREFIX}{token.key_id}…" if token.key_id else "-"

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        return [*self.readonly_fields, "user"] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("user", "name", "expires_at")
        return ("user", "name", "prefix", "created_at", "last_used_at", "expires_at")

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            request._wallboard_new_token = issue(obj)  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        """The token itself, on this page only: not in a message, which would keep it in
        the session or a cookie until it is read."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "secret": request._wallboard_new_token,  # type: ignore[attr-defined]
            "title": _("API token created"),
        }
        return TemplateResponse(request, "admin/accounts/apitoken/created.html", context)
