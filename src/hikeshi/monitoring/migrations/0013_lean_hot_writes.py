"""Fewer writes per post on the pipeline's hot tables (docs/monitoring-throughput.md, "Ninth round").

- Mention: the organisation, rule, source and topic keys lose their database constraints (the ORM and
  the pipeline keep them, see ``Mention``); the post's key keeps its constraint.
- Post: no index on ``published_at`` (no query reads posts by their own time) and the ``copy_of`` index
  only over the copies.

The post's indexes are changed with plain SQL: on SQLite Django would rebuild the table for them, which
drops the full-text search triggers of 0002 and copies every post. The old indexes' names are looked up,
not assumed.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "monitoring_post"


def _plain_index_on(schema_editor, column):  # type: ignore[no-untyped-def]
    """Name of the single-column, non-unique index on ``column`` (None when there is none)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    for name, info in constraints.items():
        if info["index"] and not info["unique"] and not info["primary_key"] and info["columns"] == [column]:
            return name
    return None


def slim_post_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    for column in ("published_at", "copy_of_id"):
        name = _plain_index_on(schema_editor, column)
        if name is not None:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")
    schema_editor.execute(f"CREATE INDEX post_copy_of ON {TABLE} (copy_of_id) WHERE copy_of_id IS NOT NULL")


def restore_post_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute("DROP INDEX post_copy_of")
    schema_editor.execute(f"CREATE INDEX monitoring_post_published_at_75dc8d51 ON {TABLE} (published_at)")
    schema_editor.execute(f"CREATE INDEX monitoring_post_copy_of_id_c30751b9 ON {TABLE} (copy_of_id)")


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0012_post_reply_to"),
        ("tenancy", "0002_membership_employment_type"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mention",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenancy.organization",
            ),
        ),
        migrations.AlterField(
            model_name="mention",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="monitoring.watchrule",
            ),
        ),
        migrations.AlterField(
            model_name="mention",
            name="source",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="monitoring.source",
            ),
        ),
        migrations.AlterField(
            model_name="mention",
            name="topic",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="mentions",
                to="monitoring.topic",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="post",
                    name="copy_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="monitoring.post",
                    ),
                ),
                migrations.AlterField(
                    model_name="post",
                    name="published_at",
                    field=models.DateTimeField(),
                ),
                migrations.AddIndex(
                    model_name="post",
                    index=models.Index(
                        condition=models.Q(("copy_of__isnull", False)), fields=["copy_of"], name="post_copy_of"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(slim_post_indexes, restore_post_indexes)],
        ),
    ]
