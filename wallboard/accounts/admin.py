from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from wallboard.accounts.models import AgentLink, Profile

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
