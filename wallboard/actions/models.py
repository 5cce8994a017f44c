"""The audit log: every action anyone attempted, with its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wallboard.monitoring.models import ProviderAccount


class AuditEntry(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=20)
    account = models.ForeignKey(
        ProviderAccount, null=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=300, blank=True)
    # Parameters as the user gave them, never with secrets (PINs, passwords).
    params = models.JSONField(default=dict, blank=True)
    ok = models.BooleanField()
    error = models.TextField(blank=True)
    vendor_code = models.CharField(max_length=50, blank=True)
    duration_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "created_at"])]
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        outcome = "ok" if self.ok else "failed"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {outcome}"
