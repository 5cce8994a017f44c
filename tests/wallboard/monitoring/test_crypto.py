"""Provider credentials and PINs are encrypted at rest."""

from __future__ import annotations

import pytest
from django.db import connection

from wallboard.monitoring.models import Agent, ProviderAccount

pytestmark = pytest.mark.django_db


def test_credentials_are_not_stored_in_clear() -> None:
    account = ProviderAccount.objects.create(
        name="x",
        vendor="daktela",
        base_url="http://127.0.0.1:1",
        secrets={"password": "s3cr3t-password"},
    )
    Agent.objects.create(account=account, vendor_id="1", name="A", pin="4321")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM monitoring_provideraccount")
        (raw_secrets,) = cursor.fetchone()
        cursor.execute("SELECT pin FROM monitoring_agent")
        (raw_pin,) = cursor.fetchone()
    assert "s3cr3t" not in raw_secrets
    assert "4321" not in raw_pin
    assert ProviderAccount.objects.get().secrets == {"password": "s3cr3t-password"}
    assert Agent.objects.get().pin == "4321"
    assert "s3cr3t" not in repr(account.config())
