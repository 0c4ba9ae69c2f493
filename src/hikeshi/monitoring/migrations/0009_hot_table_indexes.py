"""Fewer indexes and foreign-key checks on the rows the pipeline writes in bulk (see
docs/monitoring-throughput.md, "PostgreSQL throughput and the SQLite margin"): single-column
foreign-key indexes that a composite index already starts with, the pattern-matching twin of
``Post.content_hash``'s index on PostgreSQL, and the database constraints of the topic index rows
(``TopicMember``, ``TopicBand``), whose checks at commit were a large share of the PostgreSQL
server's work per post.

Django's own ``AlterField`` would rebuild each table on SQLite (copy every row, four times for
mentions) and drop and re-validate every foreign key of the table on PostgreSQL. Only what changes is
done here: the indexes are dropped by name (found by introspection), and on PostgreSQL the three
constraints. SQLite keeps those constraints in its table definitions (dropping one means rebuilding
the table; its checks are cheap in-process); the next migration that rebuilds such a table drops them.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

# (model, field) whose single-column index goes
UNINDEXED = [
    ("mention", "organization"),
    ("mention", "rule"),
    ("mention", "source"),
    ("mention", "topic"),
    ("post", "content_hash"),
    ("seriesbucket", "organization"),
    ("seriesstate", "organization"),
    ("topic", "organization"),
    ("topicmember", "organization"),
]
# (model, field) whose foreign-key constraint goes (PostgreSQL)
UNCONSTRAINED = [("topicband", "member"), ("topicmember", "organization"), ("topicmember", "topic")]


def _single_column(schema_editor: Any, table: str, column: str, kind: str) -> list[str]:
    """Names of the ``kind`` ("index" or "foreign_key") constraints on exactly ``column``."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return sorted(
        name
        for name, info in found.items()
        if info["columns"] == [column]
        and (
            info["foreign_key"]
            if kind == "foreign_key"
            else info["index"] and not info["unique"] and not info["primary_key"]
        )
    )


def forwards(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.quote_name
    for model_name, field_name in UNINDEXED:
        model = apps.get_model("monitoring", model_name)
        column = model._meta.get_field(field_name).column
        for name in _single_column(schema_editor, model._meta.db_table, column, "index"):
            schema_editor.execute(f"DROP INDEX {quote(name)}")
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, field_name in UNCONSTRAINED:
        model = apps.get_model("monitoring", model_name)
        table, column = model._meta.db_table, model._meta.get_field(field_name).column
        for name in _single_column(schema_editor, table, column, "foreign_key"):
            schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")


def backwards(apps: Any, schema_editor: Any) -> None:
    """What the fields had before, as Django creates it (slow on big tables, like any such change).
    ``apps`` is the state before this migration (the state operations are not applied to the database
    operations' state): its fields are the old ones; the current ones are built from them."""
    changes: dict[tuple[str, str], dict[str, bool]] = {}
    for key in UNINDEXED:
        changes.setdefault(key, {})["db_index"] = False
    for key in UNCONSTRAINED:
        changes.setdefault(key, {})["db_constraint"] = False
    for (model_name, field_name), attributes in changes.items():
        model = apps.get_model("monitoring", model_name)
        old = model._meta.get_field(field_name)
        current = old.clone()
        for attribute, value in attributes.items():
            setattr(current, attribute, value)
        current.set_attributes_from_name(field_name)
        current.model = model
        if old.remote_field is not None:
            current.remote_field.model = old.remote_field.model  # the clone names it as a string
        schema_editor.alter_field(model, current, old)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0008_riskiest_index"),
        ("tenancy", "0002_membership_employment_type"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="mention",
                    name="organization",
                    field=models.ForeignKey(
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
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="mentions",
                        to="monitoring.topic",
                    ),
                ),
                migrations.AlterField(
                    model_name="post", name="content_hash", field=models.CharField(blank=True, max_length=64)
                ),
                migrations.AlterField(
                    model_name="seriesbucket",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="seriesstate",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="topic",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="topicband",
                    name="member",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="monitoring.topicmember",
                    ),
                ),
                migrations.AlterField(
                    model_name="topicmember",
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
                    model_name="topicmember",
                    name="topic",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="monitoring.topic",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="post", index=models.Index(fields=["content_hash"], name="post_content_hash")
        ),
    ]
