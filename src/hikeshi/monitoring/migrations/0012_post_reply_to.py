"""Post.reply_to: the source id of the post a post answers (topics group replies with their parent).

On SQLite Django adds a column with a default by rebuilding the table, which would drop the full-text
search triggers of 0002 (and copy every post): the column is added in place, with plain SQL that both
databases read the same way (SQLite >= 3.35, which the pipeline needs anyway, drops it in place too).
"""

from django.db import migrations, models

TABLE = "monitoring_post"


def add_column(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(f"ALTER TABLE {TABLE} ADD COLUMN reply_to varchar(1000) NOT NULL DEFAULT ''")
    if schema_editor.connection.vendor == "postgresql":
        # as Django leaves its columns: the default is the model's, not the database's
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN reply_to DROP DEFAULT")


def remove_column(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN reply_to")


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0011_profile_topic_bands"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="post",
                    name="reply_to",
                    field=models.CharField(blank=True, default="", max_length=1000),
                )
            ],
            database_operations=[migrations.RunPython(add_column, remove_column)],
        ),
    ]
