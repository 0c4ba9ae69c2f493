"""Grouping new mentions into topics (火種) with MinHash + LSH banding kept in tables.

The rules are those of :class:`hikeshi.ingest.topics.TopicIndex` (same hashes, 16 bands of 4, threshold
0.5, exact content copies always join): each organisation's recent posts are ``TopicMember`` rows
(content key, signature, topic) with one ``TopicBand`` row per band. A batch needs, for all its
organisations at once, one lookup of its content keys, one indexed lookup of its band keys and one of
the topics found; the posts are then added in order in memory (so posts of one batch group with each
other) and the new members, bands and topic counts are written with a few bulk statements. Cost grows
with the batch, not with how many posts an organisation has seen.

The caller holds the organisations' MonitoringProfile rows locked (see ``pipeline``), so two workers
cannot both start a topic for one story or overwrite each other's counts. Only posts of mentions
created by this call are added, so a re-run batch does not grow topics twice.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from django.db import connection

from hikeshi.ingest.dedup import content_form
from hikeshi.ingest.topics import Signature, TopicIndex, TopicParams
from hikeshi.monitoring.models import Post, Topic, TopicBand, TopicMember
from hikeshi.monitoring.sql import in_list, insert_rows

INDEX_MEMORY = timedelta(days=3)
"""Posts older than this (before the newest post of a batch) stop attracting new ones; topics stay."""
MAX_PER_BAND = 32
"""Members kept per band key (a batch adds none to a full key). A story with thousands of near-identical posts would put
them all under the same keys; the first few are enough to recognise the next one, and storing and
comparing all of them would make every batch slower as the story grows. A full key frees up as its
members age out of the index."""
NEAR_COPY = 0.9
"""A post this similar to a member already indexed adds no band rows (only its content key): later
posts like it find that member. Keeps a story of thousands of reposts from adding 16 rows each."""
PARAMS = TopicParams()
_HASHER = TopicIndex(PARAMS)
_ROWS = PARAMS.num_perm // PARAMS.bands


def site_of(post: Post) -> str:
    """A short label of where the post was seen, for the topic's per-source counts."""
    if post.origin:
        return post.origin[:100]
    host = urlsplit(post.url).hostname if post.url else None
    return host or post.source_key.split(":", 1)[0]


@dataclass(slots=True)
class _Shape:
    """What grouping needs of a post, computed once however many organisations it concerns."""

    key: str
    signature: Signature | None
    bands: npt.NDArray[np.uint64] | None
    """Per-band hashes, mixed with each organisation's id into its band keys."""


TopicRef = int | Topic
"""A stored topic's id (loaded only if a post joins it) or a topic this batch starts."""


@dataclass(slots=True)
class _Member:
    topic: TopicRef
    signature: Signature | None


@dataclass(slots=True)
class _NewMember:
    org_id: int
    topic: TopicRef
    content_key: str
    seen: datetime
    signature: bytes | None
    bands: list[int]


@dataclass(slots=True)
class _OrgIndex:
    by_key: dict[str, _Member] = field(default_factory=dict)
    by_band: dict[int, list[_Member]] = field(default_factory=lambda: defaultdict(list))


def _shape(post: Post) -> _Shape:
    key = post.content_hash  # content_key(text), computed when the post was stored
    if not key:
        key = "empty:" + hashlib.blake2b(f"{site_of(post)}\x1f{post.pk}".encode(), digest_size=16).hexdigest()
    form = content_form(post.text)
    if len(form) < PARAMS.min_chars:
        return _Shape(key, None, None)
    signature = _HASHER.signature(form)
    return _Shape(key, signature, _band_hashes(signature))


# Fixed constants (not drawn at run time): band keys are stored, so they must never change.
_BAND_MULTIPLIERS = np.array(
    [[0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93]], dtype=np.uint64
)[:, :_ROWS]
_BAND_SALTS = np.arange(1, PARAMS.bands + 1, dtype=np.uint64) * np.uint64(0xA0761D6478BD642F)
_ORG_MULTIPLIER = np.array([0xE7037ED1A0B428DB], dtype=np.uint64)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser, element-wise (uint64 arithmetic wraps)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _band_hashes(signature: Signature) -> npt.NDArray[np.uint64]:
    rows = signature.reshape(PARAMS.bands, _ROWS)
    combined: npt.NDArray[np.uint64] = (rows * _BAND_MULTIPLIERS).sum(axis=1, dtype=np.uint64)
    return _mix(combined ^ _BAND_SALTS)


def band_keys(org_id: int, signature: Signature) -> list[int]:
    """The signed 64-bit keys (BigIntegerField on every database) of a signature's bands for one
    organisation: equal bands of one organisation give equal keys; anything else collides with
    probability about 2**-64, and a collision only adds a candidate that the comparison rejects."""
    return _org_keys(org_id, _band_hashes(signature))


def _org_keys(org_id: int, hashes: npt.NDArray[np.uint64] | None) -> list[int]:
    if hashes is None:
        return []
    org = np.array([org_id], dtype=np.uint64) * _ORG_MULTIPLIER
    keys: list[int] = _mix(hashes + org).view(np.int64).tolist()
    return keys


def assign_topics(wanted: Iterable[tuple[int, Post]]) -> dict[tuple[int, int], Topic]:
    """Topics for new (organisation id, post) pairs, saved; returns {(org id, post id): topic}."""
    posts_of: dict[int, dict[int, Post]] = defaultdict(dict)
    for org_id, post in wanted:
        posts_of[org_id].setdefault(post.pk, post)
    if not posts_of:
        return {}
    shapes = {pk: _shape(post) for posts in posts_of.values() for pk, post in posts.items()}
    bands_of = {
        (org_id, pk): _org_keys(org_id, shapes[pk].bands)
        for org_id, posts in posts_of.items()
        for pk in posts
    }
    latest = max(p.published_at for posts in posts_of.values() for p in posts.values())
    _prune(list(posts_of), latest - INDEX_MEMORY)  # first: forgotten posts attract nothing in this batch
    indexes = _load_indexes(posts_of, shapes, bands_of)
    placed: dict[tuple[int, int], TopicRef] = {}
    growth: list[tuple[int, str, datetime]] = []
    new_members: list[_NewMember] = []
    for org_id, posts in posts_of.items():
        index = indexes[org_id]
        for post in sorted(posts.values(), key=lambda p: (p.published_at, p.pk)):
            shape = shapes[post.pk]
            keys = bands_of[(org_id, post.pk)]
            topic, joined_by_content, similarity = _place(org_id, index, post, shape, keys)
            placed[(org_id, post.pk)] = topic
            if isinstance(topic, int):
                growth.append((topic, site_of(post), post.published_at))
            elif topic.first_post_id != post.pk:
                _grow(topic, site_of(post), post.published_at)
            if joined_by_content:
                continue  # an exact copy adds nothing a later post could match
            member = _Member(topic, shape.signature)
            index.by_key[shape.key] = member
            if similarity >= NEAR_COPY:
                keys = []  # found by its content key only: its bands would point where others already do
            # A full band key keeps its members: whatever story fills it is recognised through them.
            keys = [key for key in keys if len(index.by_band[key]) < MAX_PER_BAND]
            for key in keys:
                index.by_band[key].append(member)
            signature = None if shape.signature is None else shape.signature.tobytes()
            new_members.append(_NewMember(org_id, topic, shape.key, post.published_at, signature, keys))
    stored = Topic.objects.in_bulk({topic_id for topic_id, _site, _seen in growth})
    for topic_id, site, seen in growth:
        _grow(stored[topic_id], site, seen)

    def resolve(ref: TopicRef) -> Topic:
        return stored[ref] if isinstance(ref, int) else ref

    result = {key: resolve(ref) for key, ref in placed.items()}
    for new_member in new_members:
        new_member.topic = resolve(new_member.topic)
    _save(list({id(t): t for t in result.values()}.values()), new_members)
    return result


def _place(
    org_id: int, index: _OrgIndex, post: Post, shape: _Shape, keys: list[int]
) -> tuple[TopicRef, bool, float]:
    """The topic a post joins or a new one, whether it joined by exact content, and its similarity to
    the closest member (0 for a new topic)."""
    existing = index.by_key.get(shape.key)
    if existing is not None:
        return existing.topic, True, 1.0
    if shape.signature is not None:
        candidates = list(
            {id(m): m for key in keys for m in index.by_band.get(key, ()) if m.signature is not None}.values()
        )
        if candidates:
            matrix = np.stack([m.signature for m in candidates])  # type: ignore[misc]
            similarities = np.count_nonzero(matrix == shape.signature, axis=1)
            closest = int(np.argmax(similarities))
            similarity = float(similarities[closest]) / PARAMS.num_perm
            if similarity >= PARAMS.threshold:
                return candidates[closest].topic, False, similarity
    site, seen = site_of(post), post.published_at
    topic = Topic(
        organization_id=org_id,
        key="topic-" + hashlib.blake2b(f"{site}\x1f{post.pk}".encode(), digest_size=8).hexdigest(),
        first_post=post,
        post_count=1,
        sources={site: 1},
        first_seen=seen,
        last_activity=seen,
    )
    return topic, False, 0.0


def _grow(topic: Topic, site: str, seen: datetime) -> None:
    topic.post_count += 1
    topic.sources = {**topic.sources, site: topic.sources.get(site, 0) + 1}
    topic.last_activity = max(topic.last_activity, seen)


def _load_indexes(
    posts_of: dict[int, dict[int, Post]],
    shapes: dict[int, _Shape],
    bands_of: dict[tuple[int, int], list[int]],
) -> dict[int, _OrgIndex]:
    """The members that could matter to this batch: same content key or a shared band key."""
    org_ids = sorted(posts_of)
    content_keys = sorted({shapes[pk].key for posts in posts_of.values() for pk in posts})
    by_key, key_params = in_list("content_key", content_keys, "text")
    by_org = "organization_id IN (" + ", ".join(["%s"] * len(org_ids)) + ")"
    rows = _members(f"{by_org} AND {by_key}", [*org_ids, *key_params])
    band_rows = _band_members(sorted({key for keys in bands_of.values() for key in keys}))
    missing = sorted({pk for _band, pk in band_rows} - rows.keys())
    if missing:
        by_id, id_params = in_list("id", missing, "bigint")
        rows.update(_members(by_id, id_params))
    indexes = {org_id: _OrgIndex() for org_id in org_ids}
    members: dict[int, tuple[int, _Member]] = {}
    for pk, (org_id, topic_id, key, signature) in rows.items():
        if org_id not in indexes:
            continue
        value = None if signature is None else np.frombuffer(bytes(signature), dtype=np.uint64)
        member = _Member(topic_id, value)
        members[pk] = (org_id, member)
        indexes[org_id].by_key[key] = member
    for band, pk in band_rows:
        found = members.get(pk)
        if found is not None:
            indexes[found[0]].by_band[band].append(found[1])
    return indexes


def _members(condition: str, params: list[Any]) -> dict[int, tuple[int, int, str, bytes | None]]:
    table = TopicMember._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, organization_id, topic_id, content_key, signature FROM {table} WHERE {condition}",  # noqa: S608
            params,
        )
        return {
            pk: (org_id, topic_id, key, signature)
            for pk, org_id, topic_id, key, signature in cursor.fetchall()
        }


def _band_members(keys: list[int]) -> list[tuple[int, int]]:
    """(band key, member id) under each key: at most MAX_PER_BAND each, as no more are ever written."""
    if not keys:
        return []
    condition, params = in_list("band_key", keys, "bigint")
    table = TopicBand._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT band_key, member_id FROM {table} WHERE {condition}", params)  # noqa: S608
        rows: list[tuple[int, int]] = cursor.fetchall()
        return rows


def _save(topics: list[Topic], new_members: list[_NewMember]) -> None:
    """One upsert for the topics, one insert for the members and multi-row inserts for their bands."""
    saved = insert_rows(
        Topic,
        [
            "organization",
            "key",
            "first_post",
            "post_count",
            "sources",
            "first_seen",
            "last_activity",
        ],
        [
            (
                t.organization_id,
                t.key,
                t.first_post_id,
                t.post_count,
                t.sources,
                t.first_seen,
                t.last_activity,
            )
            for t in sorted(topics, key=lambda t: (t.organization_id, t.key))
        ],
        conflict=["organization", "key"],
        update=["post_count", "sources", "last_activity"],
        returning=["id", "organization", "key"],
    )
    ids = {(org_id, key): pk for pk, org_id, key in saved}
    for topic in topics:
        if topic.pk is None:
            topic.pk = ids[(topic.organization_id, topic.key)]
            topic._state.adding = False
    member_ids = {
        (org_id, key): pk
        for pk, org_id, key in insert_rows(
            TopicMember,
            ["organization", "topic", "content_key", "seen", "signature"],
            [(m.org_id, _topic_id(m.topic), m.content_key, m.seen, m.signature) for m in new_members],
            returning=["id", "organization", "content_key"],
        )
    }
    insert_rows(
        TopicBand,
        ["member", "band_key"],
        [(member_ids[(m.org_id, m.content_key)], key) for m in new_members for key in m.bands],
    )


def _topic_id(ref: TopicRef) -> int:
    return ref if isinstance(ref, int) else int(ref.pk)


def _prune(org_ids: list[int], before: datetime) -> None:
    stale = TopicMember.objects.filter(organization_id__in=org_ids, seen__lt=before)
    TopicBand.objects.filter(member__in=stale.values("pk")).delete()
    stale.delete()
