"""Who may see and do what: a role per user, a supervisor's scope, the user ↔ agent link."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wallboard.monitoring.models import Agent, ProviderAccount, Queue


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    VIEWER = "viewer", _("Viewer")


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    extension = models.CharField(
        max_length=50,
        blank=True,
        help_text=_("The supervisor's own phone line: listen-in calls ring here."),
    )
    accounts = models.ManyToManyField(
        ProviderAccount,
        blank=True,
        related_name="+",
        help_text=_("Accounts a supervisor (or viewer) may see; none means none."),
    )
    queues = models.ManyToManyField(
        Queue,
        blank=True,
        related_name="+",
        help_text=_("Optional: limit a supervisor to these queues of their accounts."),
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class AgentLink(models.Model):
    """This user is this agent (at most one agent per provider account)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_links"
    )
    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="+")
    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="user_link")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="one_agent_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.user} = {self.agent}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.account_id = self.agent.account_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ApiToken(models.Model):
    """A person's key to ``/api/v1/``: it acts as its owner, with the owner's scope as it is
    at each request. Only a SHA-256 digest of the token is kept; ``key_id``, the visible part
    after ``wbt_``, finds the row (``wallboard.accounts.tokens``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the system using it.")
    )
    key_id = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Empty: the token does not expire.")
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} (wbt_{self.key_id}…)"
