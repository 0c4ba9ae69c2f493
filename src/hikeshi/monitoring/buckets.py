"""The 5-minute buckets of each series (the organisation's, each rule's, each topic's), counted from
the mentions a batch creates.

A bucket holds its distinct posts, the negative ones, their reposts and its distinct named authors —
the last kept exactly as the sorted 64-bit hashes of the names (``SeriesBucket.author_keys``). A
batch adds what its new mentions bring: work in proportion to the batch, not to the bucket. Buckets
were recomputed from every mention they cover, each time a batch touched them; during a firestorm,
when thousands of an organisation's mentions fall in one bucket, each batch read them all again
(one worker, SQLite: 60,000 posts of which 37,364 name the organisation took 13.4 s of CPU spread
over 18 hours and 23.0 s within 5 minutes; counted here, 11.1 s and 11.7 s).

Counting once is safe because a mention is created once: the mentions given here are those this
call inserted (the unique constraints refuse a second), in the same transaction, under the
organisation's profile lock (no other worker reads or writes its buckets meanwhile). Two cases are
still recomputed from the mentions, for the (organisation, bucket) concerned: a post that already had
a mention in the organisation (one more rule matched it on a later delivery: it must not count twice
in the organisation's or its topic's series), and a bucket stored before ``author_keys`` existed.

A post's reposts count as they were when the post was counted; later refreshes of its engagement
do not change buckets already counted.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection

from hikeshi.monitoring.models import Mention, Post, SeriesBucket
from hikeshi.monitoring.sql import fast_datetimes, ids_in, insert_rows

if TYPE_CHECKING:
    from hikeshi.monitoring.mentions import NewMention

COUNT_FIELDS = ["mentions", "negative", "reposts", "authors", "author_keys"]
"""What a bucket counts, in the order of the tuples of this module."""
BucketKey = tuple[int, str, datetime]
"""(organisation id, series, bucket start)."""


@dataclass(slots=True)
class _Counts:
    posts: set[int] = field(default_factory=set)
    negative: int = 0
    reposts: int = 0
    authors: set[int] = field(default_factory=set)
    """Hashes of the authors' names (``author_key``)."""

    def add(self, post_id: int, negative: bool, reposts: int | None, author: int | None) -> None:
        """``author``: ``author_key`` of the post's author, None where it has none."""
        if post_id in self.posts:
            return
        self.posts.add(post_id)
        self.negative += negative
        self.reposts += reposts or 0
        if author is not None:
            self.authors.add(author)


def series_keys(rule_id: int | None, topic_id: int | None) -> tuple[str, ...]:
    """The series a mention counts in: its organisation's, its rule's and its topic's."""
    keys = ["org"]
    if rule_id is not None:
        keys.append(f"rule:{rule_id}")
    if topic_id is not None:
        keys.append(f"topic:{topic_id}")
    return tuple(keys)


def author_key(author: str) -> int:
    return int.from_bytes(hashlib.blake2b(author.encode("utf-8"), digest_size=8).digest(), "little")


def count_new_mentions(new_mentions: list[NewMention]) -> set[tuple[int, str]]:
    """Add the mentions this call created to their buckets; returns the (organisation, series) pairs
    touched."""
    added: dict[BucketKey, _Counts] = defaultdict(_Counts)
    recount: set[tuple[int, datetime]] = set()
    touched: dict[tuple[int, datetime], set[str]] = defaultdict(set)
    keys_of: dict[tuple[int | None, int | None], tuple[str, ...]] = {}
    for m in new_mentions:
        pair = (m.rule_id, m.topic_id)
        keys = keys_of.get(pair)
        if keys is None:
            keys = keys_of[pair] = series_keys(*pair)
        place = (m.organization_id, m.bucket_start)
        touched[place].update(keys)
        if m.counted_before:
            recount.add(place)
            continue
        author = author_key(m.author) if m.author else None
        for key in keys:
            added[(m.organization_id, key, m.bucket_start)].add(m.post_id, m.negative, m.reposts, author)
    stored = _stored_buckets(sorted(key for key in added if (key[0], key[2]) not in recount))
    rows: dict[BucketKey, tuple[int, int, int, int, bytes]] = {}
    for (org_id, key, start), counts in added.items():
        if (org_id, start) in recount:
            continue
        before = stored.get((org_id, key, start))
        if before is not None and before[4] is None and before[0]:
            recount.add((org_id, start))  # stored before its authors were kept: counted anew below
            continue
        mentions, negative, reposts, _authors, blob = before or (0, 0, 0, 0, None)
        authors = _merged(blob or b"", counts.authors)
        rows[(org_id, key, start)] = (
            mentions + len(counts.posts),
            negative + counts.negative,
            reposts + counts.reposts,
            len(authors) // 8,
            authors,
        )
    if recount:
        rows.update(_recounted({place: touched[place] for place in recount}))
    _write(rows)
    return {(org_id, key) for (org_id, start), keys in touched.items() for key in keys}


_SMALL = 512
"""Up to this many stored authors a merge goes through a Python set (a numpy call costs more than
the whole merge of a few keys, and a batch merges one set per series and bucket it touches)."""


def _merged(blob: bytes, added: set[int]) -> bytes:
    """The sorted union of stored author keys (``blob``) and ``added``, as ``author_keys`` bytes."""
    if not added:
        return blob
    if len(blob) <= 8 * _SMALL:
        return _keys_blob(added.union(array("Q", blob)))
    merged = np.union1d(np.frombuffer(blob, dtype=np.uint64), np.array(sorted(added), dtype=np.uint64))
    return merged.tobytes()


def _keys_blob(keys: Iterable[int]) -> bytes:
    """Sorted author keys as ``author_keys`` bytes (64-bit unsigned, the machine's byte order — the
    same as numpy's ``uint64``)."""
    return array("Q", sorted(keys)).tobytes()


def _stored_buckets(keys: list[BucketKey]) -> dict[BucketKey, tuple[int, int, int, int, Any]]:
    """The stored buckets of these (organisation, series, bucket start) — only these: an active
    organisation's bucket has many other series (its topics) whose author keys are not needed. One
    probe of the unique index per key, from a list of the keys (an array each on PostgreSQL, a JSON
    array on SQLite): separate lists of organisations, series and starts would probe every
    combination of them."""
    if not keys:
        return {}
    table = SeriesBucket._meta.db_table
    columns = "b.organization_id, b.series, b.bucket_start, b.mentions, b.negative, b.reposts, b.authors, b.author_keys"
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "postgresql":
        # Three array literals: Django's cursors bind on the client, and psycopg quotes a list element
        # by element in Python (a batch touches a thousand buckets and more); the series names are
        # made by ``series_keys`` (letters, digits, a colon). LIMIT 1 (the key is unique) keeps the
        # planner from flattening the lateral look-up into a join, which it planned as a scan of every
        # bucket where the table has no statistics.
        sql = (
            f"SELECT b.* FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) AS w(o, s, t) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT {columns} FROM {table} b WHERE b.organization_id = w.o "
            "AND b.series = w.s AND b.bucket_start = w.t LIMIT 1) AS b"
        )
        params: list[Any] = [
            "{" + ",".join(str(int(org_id)) for org_id, _s, _t in keys) + "}",
            "{" + ",".join(f'"{series}"' for _o, series, _t in keys) + "}",
            "{" + ",".join(f'"{start.isoformat()}"' for _o, _s, start in keys) + "}",
        ]
    else:
        sql = (
            f"SELECT {columns} FROM json_each(%s) AS w JOIN {table} b "  # noqa: S608
            "ON b.organization_id = json_extract(w.value, '$[0]') AND b.series = json_extract(w.value, '$[1]') "
            "AND b.bucket_start = json_extract(w.value, '$[2]')"
        )
        params = [json.dumps([[org_id, series, adapt(start)] for org_id, series, start in keys])]
    with fast_datetimes(connection.cursor()) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    stored: dict[BucketKey, tuple[int, int, int, int, Any]] = {}
    for org_id, series, start, mentions, negative, reposts, authors, blob in rows:
        if start.tzinfo is None:  # SQLite gives naive UTC datetimes
            start = start.replace(tzinfo=UTC)
        stored[(org_id, series, start)] = (
            mentions,
            negative,
            reposts,
            authors,
            None if blob is None else bytes(blob),
        )
    return stored


def _recounted(
    keys_by_place: dict[tuple[int, datetime], set[str]],
) -> dict[BucketKey, tuple[int, int, int, int, bytes]]:
    """The buckets of these (organisation, bucket start) pairs and series counted from every mention
    they cover."""
    counts: dict[BucketKey, _Counts] = defaultdict(_Counts)
    mention, post = Mention._meta.db_table, Post._meta.db_table
    select = (
        "SELECT m.organization_id, m.post_id, m.rule_id, m.topic_id, m.bucket_start, m.negative, "  # noqa: S608
        f"p.author, p.reposts FROM {mention} m JOIN {post} p ON p.id = m.post_id"
    )
    rows = _select_bucket_rows(select, "m.organization_id", "m.bucket_start", 4, list(keys_by_place))
    for org_id, post_id, rule_id, topic_id, start, negative, author, reposts in rows:
        wanted = keys_by_place.get((org_id, start))
        if wanted is None:
            continue
        for key in series_keys(rule_id, topic_id):
            if key in wanted:
                counts[(org_id, key, start)].add(
                    post_id, bool(negative), reposts, author_key(author) if author else None
                )
    result: dict[BucketKey, tuple[int, int, int, int, bytes]] = {}
    for (org_id, start), wanted in keys_by_place.items():
        for key in wanted:
            c = counts.get((org_id, key, start), _Counts())
            authors = _keys_blob(c.authors)
            result[(org_id, key, start)] = (len(c.posts), c.negative, c.reposts, len(c.authors), authors)
    return result


def _select_bucket_rows(
    select: str,
    org_column: str,
    start_column: str,
    start_at: int,
    places: Iterable[tuple[int, datetime]],
) -> list[tuple[Any, ...]]:
    """``select`` WHERE the organisation and the bucket start are among those of ``places`` (a
    superset of the pairs: the callers keep the pairs they asked for); the bucket start, column
    ``start_at`` of the rows, made aware."""
    places = list(places)
    if not places:
        return []
    adapt = connection.ops.adapt_datetimefield_value
    by_org, params = ids_in(org_column, sorted({org_id for org_id, _start in places}))
    starts = sorted({start for _org_id, start in places})
    sql = f"{select} WHERE {by_org} AND {start_column} IN ({', '.join(['%s'] * len(starts))})"
    with fast_datetimes(connection.cursor()) as cursor:
        cursor.execute(sql, [*params, *(adapt(start) for start in starts)])
        rows = cursor.fetchall()
    aware = []
    for row in rows:
        start = row[start_at]
        if start.tzinfo is None:  # SQLite gives naive UTC datetimes
            row = (*row[:start_at], start.replace(tzinfo=UTC), *row[start_at + 1 :])
        aware.append(tuple(row))
    return aware


def _write(rows: dict[BucketKey, tuple[int, int, int, int, bytes]]) -> None:
    """INSERT ... ON CONFLICT (organization, series, bucket_start) DO UPDATE with the new counts.
    Sorted: concurrent workers take row locks in the same order."""
    if not rows:
        return
    insert_rows(
        SeriesBucket,
        ["organization", "series", "bucket_start", *COUNT_FIELDS],
        [(org_id, series, start, *values) for (org_id, series, start), values in sorted(rows.items())],
        conflict=["organization", "series", "bucket_start"],
        update=COUNT_FIELDS,
    )
