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
