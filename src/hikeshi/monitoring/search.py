"""Japanese full-text search over stored posts, on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm).

With a million posts a search must stay bounded. The trigram index (FTS5 on SQLite, the GIN index of
``pg_trgm`` on PostgreSQL) gives the matching posts, up to ``DRIVE_LIMIT`` + 1. When they are few, the
feed reads only their mentions through the post index and sorts those (on SQLite with
``views_feed.driven_page``, see there why). When they are many, the feed walks the organisation's
mentions newest first and keeps those whose post matches — a page fills quickly — within its scan window
(``Search.windowed``). Words shorter than a trigram have no index on either database: a LIKE within the
window. (Django's ``icontains`` on PostgreSQL is ``UPPER(text) LIKE UPPER(…)``, which the trigram index
does not serve; the look-up here is a plain ``ILIKE``, which it does.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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


def _where(sql: str, params: Sequence[object]) -> Callable[[QuerySet[Mention]], QuerySet[Mention]]:
    def narrow(mentions: QuerySet[Mention]) -> QuerySet[Mention]:
        return mentions.extra(where=[sql], params=list(params))  # noqa: S610 (fixed SQL, input is a parameter)

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
    if connection.vendor == "postgresql":
        patterns = ["%" + _like_escape(w) + "%" for w in words]
        if all(len(w) >= TRIGRAM for w in words):
            # The CTE is planned without the LIMIT (with it, the planner picks a sequential scan that
            # reads ~10 posts per match: 110 ms against 45 ms through the trigram index for a common
            # word at 200,000 posts) and still runs only until the LIMIT is reached.
            likes = " AND ".join(["text ILIKE %s"] * len(words))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH found AS MATERIALIZED (SELECT id FROM monitoring_post WHERE {likes}) "  # noqa: S608
                    "SELECT id FROM found LIMIT %s",
                    [*patterns, DRIVE_LIMIT + 1],
                )
                post_ids = [row[0] for row in cursor.fetchall()]
            if len(post_ids) <= DRIVE_LIMIT:
                where = "monitoring_mention.post_id = ANY(%s::bigint[])"
                return Search(_where(where, [post_ids]), windowed=False)
        # Many matches, or words too short for the index: each mention of the window checks its own
        # post (a correlated look-up the planner cannot turn into a scan of every post, as it did with
        # a join on Django's ``UPPER(text) LIKE``: 240 ms at 200,000 posts).
        check = "(SELECT p.text FROM monitoring_post p WHERE p.id = monitoring_mention.post_id) ILIKE %s"
        return Search(_where(" AND ".join([check] * len(words)), patterns), windowed=True)
    # SQLite, words shorter than a trigram: no index, a LIKE within the scan window.
    return Search(_contains(words), windowed=True)


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
