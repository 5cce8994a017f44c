"""Admin for provider accounts (credentials write-only), queues, agents and the poll log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from providers.base import ConfigField
from providers.registry import PROVIDERS, all_config_fields
from wallboard.monitoring.models import Agent, Membership, PollLog, ProviderAccount, Queue


def _config_form_field(f: ConfigField, vendors: str) -> forms.CharField:
    if f.secret:
        return forms.CharField(
            label=f.name,
            required=False,
            widget=forms.PasswordInput(render_value=False),
            help_text=f"{f.help} ({vendors}) " + str(_("Leave empty to keep the stored value.")),
        )
    return forms.CharField(label=f.name, required=False, help_text=f"{f.help} ({vendors})")


class _AccountFormBase(forms.ModelForm):  # type: ignore[type-arg]
    """The vendor's own settings as fields. Secrets are write-only: never shown back; an
    empty secret field keeps the stored value."""

    class Meta:
        model = ProviderAccount
        fields = ["name", "vendor", "base_url", "time_zone", "poll_interval_s", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, f in all_config_fields().items():
            if not f.secret:
                self.fields[f"cfg_{name}"].initial = self.instance.options.get(name, f.default)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        provider = PROVIDERS.get(cleaned.get("vendor", ""))
        if provider is None:
            return cleaned
        options: dict[str, str] = {}
        secrets = dict(self.instance.secrets or {})
        for f in provider.config_fields:
            value = (cleaned.get(f"cfg_{f.name}") or "").strip()
            if f.secret:
                if value:
                    secrets[f.name] = value
                elif f.required and not secrets.get(f.name):
                    self.add_error(f"cfg_{f.name}", _("Required for this provider."))
                continue
            value = value or (f.default or "")
            if f.required and not value:
                self.add_error(f"cfg_{f.name}", _("Required for this provider."))
            elif f.choices and value and value not in f.choices:
                self.add_error(f"cfg_{f.name}", _("Choose one of: %s") % ", ".join(f.choices))
            elif value:
                options[f.name] = value
        own = {f.name for f in provider.config_fields}
        self.instance.options = options
        self.instance.secrets = {k: v for k, v in secrets.items() if k in own}
        return cleaned


# Declared (not added in __init__) so the admin's fieldsets may name them.
ProviderAccountForm = type(
    "ProviderAccountForm",
    (_AccountFormBase,),
    {
        f"cfg_{name}": _config_form_field(
            f, ", ".join(p.title for p in PROVIDERS.values() if f in p.config_fields)
        )
        for name, f in all_config_fields().items()
    },
)


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ProviderAccountForm
    list_display = ["name", "vendor", "base_url", "enabled", "stale", "last_success_at"]
    list_filter = ["vendor", "enabled", "stale"]
    readonly_fields = ["stale", "stale_parts", "last_error", "last_success_at", "seq"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:  # type: ignore[override]
        base = ["name", "vendor", "base_url", "time_zone", "poll_interval_s", "enabled"]
        return base + [f"cfg_{name}" for name in all_config_fields()] + self.readonly_fields


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    fk_name = "agent"
    extra = 0
    readonly_fields = ["queue", "penalty", "static", "logged_in"]
    can_delete = False


class AgentForm(forms.ModelForm):  # type: ignore[type-arg]
    pin = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("VoIPSUN agent PIN; write-only. Leave empty to keep the stored PIN."),
    )

    class Meta:
        model = Agent
        fields = ["vendor_number", "pin"]

    def clean_pin(self) -> str:
        return str(self.cleaned_data.get("pin") or self.instance.pin)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = AgentForm
    list_display = ["name", "login", "account", "status", "extension"]
    list_filter = ["account", "status"]
    search_fields = ["name", "login", "vendor_id"]
    readonly_fields = ["account", "vendor_id", "login", "name", "extension", "status"]
    fields = [*readonly_fields, "vendor_number", "pin"]
    inlines = [MembershipInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # agents come from the provider


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "number", "account", "calls_waiting", "agents_ready"]
    list_filter = ["account"]
    search_fields = ["name", "number", "vendor_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PollLog)
class PollLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["started_at", "account", "ok", "duration_ms", "error"]
    list_filter = ["account", "ok"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
