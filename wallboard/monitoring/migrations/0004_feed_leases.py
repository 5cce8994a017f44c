"""Feed leases on accounts (ADR 019), and Daktela's ``instant_agents`` switched on.

Until this release ``instant_agents`` did nothing, and ``add_account`` and the admin stored
its old default "no" in every Daktela account: that "no" was nobody's choice, so it becomes
"yes" (the new default). Set it to "no" again to keep an account on the poll alone.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def instant_agents_on(apps: Any, schema_editor: Any) -> None:
    ProviderAccount = apps.get_model("monitoring", "ProviderAccount")
    for account in ProviderAccount.objects.filter(vendor="daktela"):
        if str(account.options.get("instant_agents", "")).strip().casefold() in ("", "no"):
            account.options = {**account.options, "instant_agents": "yes"}
            account.save(update_fields=["options"])


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0003_history_brin"),
    ]

    operations = [
        migrations.AddField(
            model_name="provideraccount",
            name="feed_lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="provideraccount",
            name="feed_live",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="provideraccount",
            name="feed_owner",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(instant_agents_on, migrations.RunPython.noop, elidable=True),
    ]
