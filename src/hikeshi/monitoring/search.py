"""Japanese full-text search over stored posts, on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm).

With a million posts a search must stay bounded. SQLite: the FTS5 index gives the matching posts; when
they are few (≤ ``DRIVE_LIMIT``) the feed reads their mentions through the post index and sorts only
those (``views_feed.driven_page``); when they are many, the feed walks the organisation's mentions newest first and keeps those in
the match set, which finds a page quickly — and the feed bounds that walk to a window (``Search.
windowed``). Words shorter than a trigram have no index on either database: a LIKE over the window.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from hikeshi.monitoring.models import Mention

TRIGRAM = 3
MAX_WORDS = 8
DRIVE_LIMIT = 5000
"""Up to this many matching posts, the search drives the query from the match set."""


@dataclass(frozen=True, slots=True)
class Search:
    narrow: Callable[[QuerySet[Mention]], QuerySet[Mention]]
    """Applies the search to a queryset of mentions."""
    windowed: bool
    """True when the filter cannot use an index: the feed must bound how many mentions it examines."""
    post_ids: list[int] | None = None
    """SQLite, few matches: every matching post (the feed starts from them, see ``views_feed``)."""


def _where(sql: str, params: list[object]) -> Callable[[QuerySet[Mention]], QuerySet[Mention]]:
    def narrow(mentions: QuerySet[Mention]) -> QuerySet[Mention]:
        return mentions.extra(where=[sql], params=params)  # noqa: S610 (fixed SQL, input is a parameter)

    return narrow


def _contains(words: list[str]) -> Callable[[QuerySet[Mention]], QuerySet[Mention]]:
    def narrow(mentions: QuerySet[Mention]) -> QuerySet[Mention]:
        for word in words:
            mentions = mentions.filter(post__text__icontains=word)
        return mentions

    return narrow


def _fts_match(words: list[str]) -> str:
    # Each word as a quoted FTS5 phrase ("" escapes a quote): user input never becomes FTS syntax.
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def search_words(text: str) -> Search:
    """The search for ``text``: every whitespace-separated word, in any order."""
    words = [w for w in text.split() if w][:MAX_WORDS]
    if not words:
        return Search(lambda mentions: mentions, windowed=False)
    if connection.vendor == "sqlite" and all(len(w) >= TRIGRAM for w in words):
        match = _fts_match(words)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM monitoring_post_fts WHERE monitoring_post_fts MATCH %s LIMIT %s",
                [match, DRIVE_LIMIT + 1],
            )
            post_ids = [row[0] for row in cursor.fetchall()]
        if len(post_ids) <= DRIVE_LIMIT:
            # Few matches: one JSON parameter, read through the mentions' post index.
            where = "monitoring_mention.post_id IN (SELECT value FROM json_each(%s))"
            return Search(_where(where, [json.dumps(post_ids)]), windowed=False, post_ids=post_ids)
        where = (
            "monitoring_mention.post_id IN "
            "(SELECT rowid FROM monitoring_post_fts WHERE monitoring_post_fts MATCH %s)"
        )
        return Search(_where(where, [match]), windowed=True)
    # PostgreSQL: icontains becomes ILIKE '%…%', which the pg_trgm GIN index serves (the planner picks
    # between it and the time index). Words shorter than a trigram have no index on either database.
    short = any(len(w) < TRIGRAM for w in words)
    return Search(_contains(words), windowed=short or connection.vendor != "postgresql")
