import datetime

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="provideraccount",
            name="day_starts_at",
            field=models.TimeField(
                default=datetime.time(0, 0),
                help_text="Local time (in the account's time zone) at which a reporting day starts.",
            ),
        ),
        migrations.AddField(
            model_name="queuesample",
            name="answered",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="queuesample",
            name="abandoned",
            field=models.IntegerField(null=True),
        ),
        migrations.AddIndex(
            model_name="queuesample",
            index=models.Index(fields=["taken_at"], name="sample_prune"),
        ),
        # The composite (agent, started_at) and (queue, taken_at) indexes serve the
        # foreign keys: the single-column ones only cost space.
        migrations.AlterField(
            model_name="agentstatusspan",
            name="agent",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="spans",
                to="monitoring.agent",
            ),
        ),
        migrations.AlterField(
            model_name="queuesample",
            name="queue",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="samples",
                to="monitoring.queue",
            ),
        ),
        migrations.AddIndex(
            model_name="polllog",
            index=models.Index(fields=["started_at"], name="polllog_prune"),
        ),
    ]
