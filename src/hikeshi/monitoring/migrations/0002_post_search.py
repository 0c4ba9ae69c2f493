"""Full-text search over post text: an FTS5 trigram table on SQLite, a pg_trgm GIN index on PostgreSQL.

Trigrams need no Japanese word segmentation, so 「異物混入」 is found inside any sentence. Each
statement runs only on its own database vendor; other vendors fall back to a plain LIKE scan.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE monitoring_post_fts USING fts5("
    "text, content='monitoring_post', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER monitoring_post_fts_insert AFTER INSERT ON monitoring_post BEGIN "
    "INSERT INTO monitoring_post_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER monitoring_post_fts_delete AFTER DELETE ON monitoring_post BEGIN "
    "INSERT INTO monitoring_post_fts(monitoring_post_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER monitoring_post_fts_update AFTER UPDATE OF text ON monitoring_post BEGIN "
    "INSERT INTO monitoring_post_fts(monitoring_post_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO monitoring_post_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO monitoring_post_fts(monitoring_post_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS monitoring_post_fts_update",
    "DROP TRIGGER IF EXISTS monitoring_post_fts_delete",
    "DROP TRIGGER IF EXISTS monitoring_post_fts_insert",
    "DROP TABLE IF EXISTS monitoring_post_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS monitoring_post_text_trgm ON monitoring_post USING gin (text gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS monitoring_post_text_trgm"]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
