"""History pruning walks BRIN indexes on the start times instead of B-trees.

The B-tree on ``AgentStatusSpan.ended_at`` made every span close (``UPDATE … SET ended_at``)
a non-HOT update that added entries to every index of the table. BRIN is PostgreSQL's; on
other databases (SQLite for the demo) the same index is a plain one.
"""

from typing import Any

import django.contrib.postgres.indexes
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


class AddBrinIndex(migrations.AddIndex):
    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model: Any = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            plain = models.Index(fields=self.index.fields, name=self.index.name)
            schema_editor.add_index(model, plain)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_history_reports"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="agentstatusspan", name="span_prune"),
        migrations.RemoveIndex(model_name="queuesample", name="sample_prune"),
        AddBrinIndex(
            model_name="agentstatusspan",
            index=django.contrib.postgres.indexes.BrinIndex(
                autosummarize=True, fields=["started_at"], name="span_started_brin"
            ),
        ),
        AddBrinIndex(
            model_name="queuesample",
            index=django.contrib.postgres.indexes.BrinIndex(
                autosummarize=True, fields=["taken_at"], name="sample_taken_brin"
            ),
        ),
    ]
