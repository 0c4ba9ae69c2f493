"""Japanese full-text search over stored posts, on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm)."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from hikeshi.monitoring.models import Mention

TRIGRAM = 3


def search_mentions(mentions: QuerySet[Mention], text: str) -> QuerySet[Mention]:
    """Mentions whose post contains ``text`` (every whitespace-separated word, in any order)."""
    words = [w for w in text.split() if w][:8]
    if not words:
        return mentions
    if connection.vendor == "sqlite" and all(len(w) >= TRIGRAM for w in words):
        # Each word as a quoted FTS5 phrase ("" escapes a quote): user input never becomes FTS syntax.
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
        return mentions.extra(
            where=[
                "monitoring_mention.post_id IN (SELECT rowid FROM monitoring_post_fts WHERE monitoring_post_fts MATCH %s)"
            ],
            params=[match],
        )
    # PostgreSQL: icontains becomes ILIKE '%…%', which the pg_trgm GIN index serves. Words shorter than
    # a trigram (and other databases) fall back to the same LIKE scan.
    for word in words:
        mentions = mentions.filter(post__text__icontains=word)
    return mentions
