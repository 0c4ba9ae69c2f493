"""Grouping new mentions into topics (火種) with MinHash + LSH banding kept in tables.

The rules are those of :class:`hikeshi.ingest.topics.TopicIndex` (same hashes, 16 bands of 4, threshold
0.5, exact content copies always join): each organisation's recent posts are ``TopicMember`` rows
(content key, signature, topic, band mask), with one ``TopicBand`` row per band where the organisation's
index is ever loaded in part (``topic_index``). Signatures and band hashes of a
batch are computed in one numpy pass before any lock is taken. ``topic_index.load`` gives each
organisation's index: the copy a worker kept in memory from its previous batch, checked against the
tables with one aggregate query (and brought up to date with what other workers added), or read from
the tables. The posts are then added in order in memory (so posts of one batch group with each other)
and the new members, bands and topic counts are written with a few bulk statements.

The caller holds the organisations' MonitoringProfile rows locked (see ``pipeline``), so two workers
cannot both start a topic for one story or overwrite each other's counts. Only posts of mentions
created by this call are added, so a re-run batch does not grow topics twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models.base import ModelState

from hikeshi.ingest.dedup import content_form
from hikeshi.ingest.topics import Signature, TopicIndex, TopicParams
from hikeshi.monitoring import index_counts, topic_index
from hikeshi.monitoring.models import Post, Topic, TopicBand, TopicMember
from hikeshi.monitoring.replies import Parent, Ref, find_parents
from hikeshi.monitoring.sql import fast_datetimes, in_list, insert_rows
from hikeshi.monitoring.topic_index import Member, OrgIndex, aware

INDEX_MEMORY = timedelta(days=3)
"""Posts older than this (before the newest post of a batch) stop attracting new ones; topics stay."""
PRUNE_STEP = timedelta(minutes=10)
"""The forgetting horizon moves in these steps (see ``horizon``)."""
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
class Shape:
    """What grouping needs of a post, computed once however many organisations it concerns (and
    before the organisations' locks are taken: see ``mentions``)."""

    key: str
    signature: Signature | None
    bands: npt.NDArray[np.uint64] | None
    """Per-band hashes, mixed with each organisation's id into its band keys."""
    parent_key: str | None = None
    """The content key of the post this one replies to (``Post.reply_to``), when that post is known: a
    reply joins its parent's topic in every organisation where the parent has one."""


TopicRef = int | Topic
"""A stored topic's id (loaded only if a post joins it) or a topic this batch starts."""


@dataclass(slots=True)
class _NewMember:
    org_id: int
    member: Member
    content_key: str
    seen: datetime
    signature: bytes | None
    bands: list[int]
    band_mask: int


def member_key(content_hash: str, site: str, post_id: int) -> str:
    """The key a post's member is stored under: its content key, or for a post without content (only
    links, emoji) one of its own, so that such posts never join each other by content."""
    if content_hash:
        return content_hash  # content_key(text), computed when the post was stored
    return "empty:" + hashlib.blake2b(f"{site}\x1f{post_id}".encode(), digest_size=16).hexdigest()


def shapes_of(posts: Iterable[Post], parents: dict[Ref, Parent] | None = None) -> dict[int, Shape]:
    """{post id: shape}: content keys, MinHash signatures (one numpy pass for the batch), band
    hashes and the member keys of the posts replied to (``replies.find_parents`` of the batch, found
    here when the caller has not)."""
    unique = list({post.id: post for post in posts}.values())
    keys: list[str] = []
    forms: list[str] = []
    for post in unique:
        key = member_key(post.content_hash, site_of(post) if not post.content_hash else "", post.id)
        keys.append(key)
        form = post.__dict__.get("_content_form")  # kept by pipeline._new_post
        forms.append(form if form is not None else content_form(post.text))
    long_enough = [i for i, form in enumerate(forms) if len(form) >= PARAMS.min_chars]
    signatures = _HASHER.signatures([forms[i] for i in long_enough])
    bands = _band_hash_rows(signatures)
    shapes = {post.id: Shape(key, None, None) for post, key in zip(unique, keys, strict=True)}
    for row, i in enumerate(long_enough):
        shape = shapes[unique[i].id]
        shape.signature = signatures[row]
        shape.bands = bands[row]
    replies = [post for post in unique if post.reply_to]
    if replies:
        if parents is None:
            parents = find_parents(unique)
        for post in replies:
            parent = parents.get((post.source_key, post.reply_to))
            shapes[post.id].parent_key = parent.member_key if parent is not None else None
    return shapes


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


def _band_hash_rows(signatures: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """(posts × bands) band hashes of (posts × num_perm) signatures."""
    rows = signatures.reshape(len(signatures), PARAMS.bands, _ROWS)
    combined: npt.NDArray[np.uint64] = (rows * _BAND_MULTIPLIERS).sum(axis=2, dtype=np.uint64)
    return _mix(combined ^ _BAND_SALTS)


def _band_hashes(signature: Signature) -> npt.NDArray[np.uint64]:
    row: npt.NDArray[np.uint64] = _band_hash_rows(signature.reshape(1, -1))[0]
    return row


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


def _key_rows(ordered: dict[int, list[Post]], shapes: dict[int, Shape]) -> dict[int, list[list[int]]]:
    """``_org_keys`` of every (organisation, post) pair of a batch in one numpy pass: one pass per
    organisation was about 2 % of a worker's CPU in small-array overhead (sampled, 25 organisations a
    group)."""
    result: dict[int, list[list[int]]] = {
        org_id: [[] for _post in posts] for org_id, posts in ordered.items()
    }
    where: list[tuple[int, int]] = []
    hashes: list[npt.NDArray[np.uint64]] = []
    for org_id, posts in ordered.items():
        for i, post in enumerate(posts):
            bands = shapes[post.id].bands
            if bands is not None:
                where.append((org_id, i))
                hashes.append(bands)
    if hashes:
        rows = _keys_of_hashes([org_id for org_id, _i in where], np.array(hashes))
        for (org_id, i), keys in zip(where, rows, strict=True):
            result[org_id][i] = keys
    return result


def band_key_rows(org_ids: list[int], signatures: npt.NDArray[np.uint64]) -> list[list[int]]:
    """``band_keys`` of many (organisation, signature) pairs (a row of ``signatures`` each), in one
    numpy pass."""
    return _keys_of_hashes(org_ids, _band_hash_rows(signatures))


def _keys_of_hashes(org_ids: list[int], hashes: npt.NDArray[np.uint64]) -> list[list[int]]:
    orgs = np.array(org_ids, dtype=np.uint64)[:, None] * _ORG_MULTIPLIER
    keys: list[list[int]] = _mix(hashes + orgs).view(np.int64).tolist()
    return keys


def horizon(latest: datetime) -> datetime:
    """Members seen before this are forgotten: the index memory before the batch's newest post, in
    steps of ``PRUNE_STEP`` so that a cached index is rebuilt at most once a step (``topic_index``)."""
    before = latest - INDEX_MEMORY
    step = int(PRUNE_STEP.total_seconds())
    return datetime.fromtimestamp(int(before.timestamp()) // step * step, UTC)


def assign_topics(
    wanted: Iterable[tuple[int, Post]],
    shapes: dict[int, Shape] | None = None,
    banded: set[int] | None = None,
) -> dict[tuple[int, int], Topic]:
    """Topics for new (organisation id, post) pairs, saved; returns {(org id, post id): topic}.
    ``shapes``: ``shapes_of`` the posts, when the caller computed them before taking the locks;
    ``banded``: the organisations whose locked profiles say they have band rows (None: read them)."""
    posts_of: dict[int, dict[int, Post]] = defaultdict(dict)
    for org_id, post in wanted:
        posts_of[org_id].setdefault(post.id, post)
    if not posts_of:
        return {}
    if shapes is None:
        shapes = shapes_of(p for posts in posts_of.values() for p in posts.values())
    ordered = {
        org_id: sorted(posts.values(), key=lambda p: (p.published_at, p.id))
        for org_id, posts in posts_of.items()
    }
    keys_of = _key_rows(ordered, shapes)
    latest = max(p.published_at for posts in posts_of.values() for p in posts.values())
    before = horizon(latest)
    org_ids = sorted(posts_of)

    def wanted_keys() -> tuple[list[str], list[int]]:
        # Only a partial load reads these: sorting a batch's ~8,000 band keys for every group cost about
        # 2 % of a worker's CPU (sampled) where every organisation's index is cached or read whole. The
        # parents' keys are wanted too: a reply joins its parent through the parent's member.
        content_keys = {shapes[pk].key for posts in posts_of.values() for pk in posts}
        content_keys.update(shape.parent_key for shape in shapes.values() if shape.parent_key)
        return (
            sorted(content_keys),
            sorted({key for rows in keys_of.values() for keys in rows for key in keys}),
        )

    indexes = topic_index.load(org_ids, wanted_keys, before, banded)
    placed: dict[tuple[int, int], TopicRef] = {}
    growth: list[tuple[int, str, datetime]] = []
    new_members: list[_NewMember] = []
    for org_id, posts in ordered.items():
        index = indexes[org_id]
        for post, keys in zip(posts, keys_of[org_id], strict=True):
            shape = shapes[post.id]
            topic, joined_by_content, similarity = _place(org_id, index, post, shape, keys)
            placed[(org_id, post.id)] = topic
            if isinstance(topic, int):
                growth.append((topic, site_of(post), post.published_at))
            elif topic.first_post_id != post.id:
                _grow(topic, site_of(post), post.published_at)
            if joined_by_content:
                continue  # an exact copy adds nothing a later post could match
            if similarity >= NEAR_COPY:
                keys = []  # found by its content key only: its bands would point where others already do
            # A key that already holds a member of this topic leads later posts to the topic already; a
            # full key keeps its members: whatever story fills it is recognised through them.
            by_band = index.by_band
            kept = [
                band
                for band, key in enumerate(keys)
                if key not in by_band
                or (len(by_band[key]) < MAX_PER_BAND and not _holds(by_band[key], topic))
            ]
            keys = [keys[band] for band in kept]
            member = Member(topic, shape.signature, shape.key, post.published_at, bands=keys)
            index.by_key[shape.key] = member
            for key in keys:
                index.by_band[key].append(member)
            signature = None if shape.signature is None else shape.signature.tobytes()
            mask = sum(1 << band for band in kept)
            new_members.append(
                _NewMember(org_id, member, shape.key, post.published_at, signature, keys, mask)
            )
    stored = _stored_topics(sorted({topic_id for topic_id, _site, _seen in growth}))
    for topic_id, site, seen in growth:
        _grow(stored[topic_id], site, seen)

    def resolve(ref: TopicRef) -> Topic:
        return stored[ref] if isinstance(ref, int) else ref

    result = {key: resolve(ref) for key, ref in placed.items()}
    banded_now = {org_id for org_id, index in indexes.items() if index.banded}
    _save(list({id(t): t for t in result.values()}.values()), new_members, banded_now)
    for new_member in new_members:
        indexes[new_member.org_id].add_stored(new_member.member)
    topic_index.keep(indexes)
    return result


def _holds(members: list[Member], topic: TopicRef) -> bool:
    """Whether one of ``members`` belongs to ``topic``: stored topics are ids, this batch's new ones
    instances (compared by identity: ``Model.__eq__`` per pair cost more than the rest of the test)."""
    for member in members:
        other = member.topic
        if other is topic or (type(other) is int and other == topic):
            return True
    return False


def _stored_topics(ids: list[int]) -> dict[int, Topic]:
    """The topics posts of the batch join, with the columns a batch reads and writes (the others are
    left deferred: reading one loads it as for any deferred field). Plain SQL and instances built
    without ``Model.__init__``: a batch joins hundreds of topics (``in_bulk`` cost 5 % of a batch)."""
    if not ids:
        return {}
    condition, params = in_list("id", ids, "bigint")
    with fast_datetimes(connection.cursor()) as cursor:
        cursor.execute(
            f"SELECT id, organization_id, key, first_post_id, post_count, sources, first_seen, last_activity "  # noqa: S608
            f"FROM {Topic._meta.db_table} WHERE {condition}",
            params,
        )
        rows = cursor.fetchall()
    stored: dict[int, Topic] = {}
    alias = connection.alias  # a look-up through Django's connection proxy: not once per row
    for pk, org_id, key, first_post_id, post_count, sources, first_seen, last_activity in rows:
        topic = Topic.__new__(Topic)
        topic._state = ModelState()
        topic._state.adding, topic._state.db = False, alias
        topic.__dict__.update(
            id=pk,
            organization_id=org_id,
            key=key,
            first_post_id=first_post_id,
            post_count=post_count,
            sources=json.loads(sources) if isinstance(sources, str) else sources,
            first_seen=aware(first_seen),
            last_activity=aware(last_activity),
        )
        stored[pk] = topic
    return stored


def _place(
    org_id: int, index: OrgIndex, post: Post, shape: Shape, keys: list[int]
) -> tuple[TopicRef, bool, float]:
    """The topic a post joins or a new one, whether it joined by exact content, and its similarity to
    the closest member (0 for a new topic). A reply joins its parent's topic whatever it says: 「これは
    ひどい」 under the story shares no words with it. (If its content is already a member's, of whatever
    topic, it adds no member: a content key has one member.)"""
    existing = index.by_key.get(shape.key)
    if shape.parent_key is not None:
        parent = index.by_key.get(shape.parent_key)
        if parent is not None:
            return parent.topic, existing is not None, 0.0 if existing is None else 1.0
    if existing is not None:
        return existing.topic, True, 1.0
    if shape.signature is not None:
        by_band = index.by_band
        # Only members with a signature have band keys. Each member once, in the order first met:
        # dict.fromkeys hashes members by identity (Member: eq=False) in C — near copies share most of
        # their 16 keys, so a post meets hundreds of entries for a few members, and a dict built with
        # id() per entry took 2.5 times as long (timed).
        candidates = list(
            dict.fromkeys(chain.from_iterable([by_band[key] for key in keys if key in by_band]))
        )
        if candidates:
            # np.array, not np.stack: the same matrix, 2-9 µs less per post (1-40 candidates, timed);
            # the equal hashes summed per row and the array's own argmax (the first largest, as
            # np.argmax): np.count_nonzero along an axis took 2.5 µs more per post (timed)
            matrix = np.array([m.signature for m in candidates])
            similarities = (matrix == shape.signature).sum(axis=1)
            closest = int(similarities.argmax())
            similarity = float(similarities[closest]) / PARAMS.num_perm
            if similarity >= PARAMS.threshold:
                return candidates[closest].topic, False, similarity
    site, seen = site_of(post), post.published_at
    topic = Topic(
        organization_id=org_id,
        key="topic-" + hashlib.blake2b(f"{site}\x1f{post.id}".encode(), digest_size=8).hexdigest(),
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


def _save(topics: list[Topic], new_members: list[_NewMember], banded: set[int]) -> None:
    """One upsert for the topics, one insert for the members and one for the bands of the members of
    ``banded`` organisations (the others' band keys live in the members' masks only: see
    ``topic_index``)."""
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
    for m in new_members:
        m.member.topic = _topic_id(m.member.topic)  # what a cached index keeps: ids, not instances
    member_ids = {
        (org_id, key): pk
        for pk, org_id, key in insert_rows(
            TopicMember,
            ["organization", "topic", "content_key", "seen", "signature", "band_mask"],
            [
                (m.org_id, m.member.topic, m.content_key, m.seen, m.signature, m.band_mask)
                for m in new_members
            ],
            returning=["id", "organization", "content_key"],
        )
    }
    for m in new_members:
        m.member.pk = member_ids[(m.org_id, m.content_key)]
    index_counts.record_added((m.org_id, member_ids[(m.org_id, m.content_key)], m.seen) for m in new_members)
    band_rows = [(m.member.pk, key) for m in new_members if m.org_id in banded for key in m.bands]
    if band_rows:
        insert_rows(TopicBand, ["member", "band_key"], band_rows)


def _topic_id(ref: TopicRef) -> int:
    return ref if isinstance(ref, int) else int(ref.pk)
