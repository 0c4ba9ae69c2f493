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
from urllib.parse import urlsplit

import numpy as np
from django.db import connection

from hikeshi.ingest.dedup import content_form, content_key
from hikeshi.ingest.topics import Signature, TopicIndex, TopicParams
from hikeshi.monitoring.models import Post, Topic, TopicBand, TopicMember
from hikeshi.monitoring.sql import in_list, insert_rows

INDEX_MEMORY = timedelta(days=3)
"""Posts older than this (before the newest post of a batch) stop attracting new ones; topics stay."""
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
    bands: list[bytes]


@dataclass(slots=True)
class _Member:
    topic: Topic
    signature: Signature | None


@dataclass(slots=True)
class _NewMember:
    org_id: int
    topic: Topic
    content_key: str
    seen: datetime
    signature: bytes | None
    bands: list[int]


@dataclass(slots=True)
class _OrgIndex:
    by_key: dict[str, _Member] = field(default_factory=dict)
    by_band: dict[int, list[_Member]] = field(default_factory=lambda: defaultdict(list))


def _shape(post: Post) -> _Shape:
    form = content_form(post.text)
    key = content_key(post.text)
    if key is None:
        key = "empty:" + hashlib.blake2b(f"{site_of(post)}\x1f{post.pk}".encode(), digest_size=16).hexdigest()
    if len(form) < PARAMS.min_chars:
        return _Shape(key, None, [])
    signature = _HASHER.signature(form)
    raw = signature.tobytes()
    step = _ROWS * 8
    return _Shape(key, signature, [raw[i * step : (i + 1) * step] for i in range(PARAMS.bands)])


def band_key(org_id: int, band: int, values: bytes) -> int:
    """A signed 64-bit key of one band of one organisation (fits BigIntegerField on every database)."""
    digest = hashlib.blake2b(values, digest_size=8, person=f"{org_id}:{band}".encode()[:16]).digest()
    return int.from_bytes(digest, "little", signed=True)


def _band_keys(org_id: int, shape: _Shape) -> list[int]:
    return [band_key(org_id, band, values) for band, values in enumerate(shape.bands)]


def assign_topics(wanted: Iterable[tuple[int, Post]]) -> dict[tuple[int, int], Topic]:
    """Topics for new (organisation id, post) pairs, saved; returns {(org id, post id): topic}."""
    posts_of: dict[int, dict[int, Post]] = defaultdict(dict)
    for org_id, post in wanted:
        posts_of[org_id].setdefault(post.pk, post)
    if not posts_of:
        return {}
    shapes = {pk: _shape(post) for posts in posts_of.values() for pk, post in posts.items()}
    bands_of = {
        (org_id, pk): _band_keys(org_id, shapes[pk]) for org_id, posts in posts_of.items() for pk in posts
    }
    indexes = _load_indexes(posts_of, shapes, bands_of)
    result: dict[tuple[int, int], Topic] = {}
    new_members: list[_NewMember] = []
    touched: dict[int, Topic] = {}
    for org_id, posts in posts_of.items():
        index = indexes[org_id]
        for post in sorted(posts.values(), key=lambda p: (p.published_at, p.pk)):
            shape = shapes[post.pk]
            keys = bands_of[(org_id, post.pk)]
            topic, joined_by_content = _place(org_id, index, post, shape, keys)
            result[(org_id, post.pk)] = topic
            touched[id(topic)] = topic
            if joined_by_content:
                continue  # an exact copy adds nothing a later post could match
            member = _Member(topic, shape.signature)
            index.by_key[shape.key] = member
            for key in keys:
                index.by_band[key].append(member)
            signature = None if shape.signature is None else shape.signature.tobytes()
            new_members.append(_NewMember(org_id, topic, shape.key, post.published_at, signature, keys))
    _save(list(touched.values()), new_members)
    latest = max(p.published_at for posts in posts_of.values() for p in posts.values())
    _prune(list(posts_of), latest - INDEX_MEMORY)
    return result


def _place(org_id: int, index: _OrgIndex, post: Post, shape: _Shape, keys: list[int]) -> tuple[Topic, bool]:
    """The topic a post joins (grown in memory) or a new one; True when it joined by exact content."""
    site, seen = site_of(post), post.published_at
    existing = index.by_key.get(shape.key)
    if existing is not None:
        _grow(existing.topic, site, seen)
        return existing.topic, True
    best: Topic | None = None
    if shape.signature is not None:
        candidates = {id(m): m for key in keys for m in index.by_band.get(key, ())}
        best_similarity = 0.0
        for member in candidates.values():
            if member.signature is None:
                continue
            similarity = float(np.count_nonzero(member.signature == shape.signature)) / PARAMS.num_perm
            if similarity > best_similarity:
                best, best_similarity = member.topic, similarity
        if best_similarity < PARAMS.threshold:
            best = None
    if best is not None:
        _grow(best, site, seen)
        return best, False
    topic = Topic(
        organization_id=org_id,
        key="topic-" + hashlib.blake2b(f"{site}\x1f{post.pk}".encode(), digest_size=8).hexdigest(),
        first_post=post,
        post_count=1,
        sources={site: 1},
        first_seen=seen,
        last_activity=seen,
    )
    return topic, False


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
    org_ids = list(posts_of)
    content_keys = {shapes[pk].key for posts in posts_of.values() for pk in posts}
    rows: dict[int, tuple[int, int, str, bytes | None]] = {}
    for pk, org_id, topic_id, key, signature in TopicMember.objects.filter(
        organization_id__in=org_ids, content_key__in=content_keys
    ).values_list("pk", "organization_id", "topic_id", "content_key", "signature"):
        rows[pk] = (org_id, topic_id, key, signature)
    band_rows: list[tuple[int, int]] = []
    unique_bands = sorted({key for keys in bands_of.values() for key in keys})
    if unique_bands:
        band_table, member_table = TopicBand._meta.db_table, TopicMember._meta.db_table
        condition, params = in_list("b.band_key", unique_bands)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT b.band_key, m.id, m.organization_id, m.topic_id, m.content_key, m.signature"  # noqa: S608 (table names only)
                f" FROM {band_table} b JOIN {member_table} m ON m.id = b.member_id WHERE {condition}",
                params,
            )
            for band, pk, org_id, topic_id, key, signature in cursor.fetchall():
                rows[pk] = (org_id, topic_id, key, signature)
                band_rows.append((band, pk))
    topics = Topic.objects.in_bulk({topic_id for _o, topic_id, _k, _s in rows.values()})
    indexes = {org_id: _OrgIndex() for org_id in org_ids}
    members: dict[int, _Member] = {}
    for pk, (org_id, topic_id, key, signature) in rows.items():
        topic = topics.get(topic_id)
        if topic is None or org_id not in indexes:
            continue
        value = None if signature is None else np.frombuffer(bytes(signature), dtype=np.uint64)
        members[pk] = member = _Member(topic, value)
        indexes[org_id].by_key[key] = member
    for band, pk in band_rows:
        if pk in members:
            indexes[members[pk].topic.organization_id].by_band[band].append(members[pk])
    return indexes


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
            [(m.org_id, m.topic.pk, m.content_key, m.seen, m.signature) for m in new_members],
            returning=["id", "organization", "content_key"],
        )
    }
    insert_rows(
        TopicBand,
        ["member", "band_key"],
        [(member_ids[(m.org_id, m.content_key)], key) for m in new_members for key in m.bands],
    )


def _prune(org_ids: list[int], before: datetime) -> None:
    stale = TopicMember.objects.filter(organization_id__in=org_ids, seen__lt=before)
    TopicBand.objects.filter(member__in=stale.values("pk")).delete()
    stale.delete()
