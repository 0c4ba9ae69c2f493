"""Replies: the post a post answers (``Post.reply_to``), found once per batch for routing and topics.

A firestorm grows in the replies and quotes under one post, and most of them name nobody: 「最悪」,
「これはひどい」. So a reply concerns every organisation its parent concerns (``follow``), with the parent's
rules, and joins the parent's topic there (``topics``). The parent is the post of the same source whose
id the reply names; it is looked up in the batch, then among the stored posts with one indexed look-up
per source. Batches without replies (a firehose's usual batch) do nothing here.

A reply can also arrive before its parent (a crawler that collected the replies first, a push that
came out of order). Such a reply waits, stored, until the parent arrives: the batch that inserts the
parent finds the replies already stored under it (``early_replies``, one look-up per source in the
index of replies), and they are followed and placed as if they had come with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection

from hikeshi.monitoring.models import Post
from hikeshi.monitoring.sql import probe

if TYPE_CHECKING:
    from hikeshi.monitoring.mentions import _Wanted

Ref = tuple[str, str]
"""(source key, source id) of a post."""


@dataclass(frozen=True, slots=True)
class Parent:
    post_id: int
    member_key: str
    """The key of the parent's member in an organisation's topic index (``topics.member_key``)."""


def find_parents(posts: Iterable[Post]) -> dict[Ref, Parent]:
    """The posts that ``posts`` reply to and that are stored (or in the batch), by reference."""
    from hikeshi.monitoring.topics import member_key, site_of

    batch = list(posts)
    wanted = {(p.source_key, p.reply_to) for p in batch if p.reply_to}
    if not wanted:
        return {}
    found: dict[Ref, Parent] = {}
    for post in batch:
        ref = (post.source_key, post.source_id)
        if ref in wanted and post.id is not None:
            found[ref] = Parent(post.id, member_key(post.content_hash, site_of(post), post.id))
    missing: dict[str, set[str]] = defaultdict(set)
    for source_key, source_id in wanted - found.keys():
        missing[source_key].add(source_id)
    for source_key, source_ids in missing.items():
        rows = _posts_of_source(
            "id, source_id, content_hash, origin, url", "source_id", source_key, source_ids
        )
        for pk, source_id, content_hash, origin, url in rows:
            site = site_of(Post(id=pk, source_key=source_key, origin=origin, url=url))
            found[(source_key, source_id)] = Parent(pk, member_key(content_hash, site, pk))
    return found


def _posts_of_source(
    select: str, column: str, source_key: str, values: Iterable[str], condition: str = ""
) -> list[tuple[Any, ...]]:
    """``select`` of the posts of ``source_key`` whose ``column`` is one of ``values``: one index
    look-up per value (``sql.probe``)."""
    extra = f" AND {condition}" if condition else ""
    sql, params = probe(
        select, Post._meta.db_table, column, sorted(values), "text", f"source_key = %s{extra}", [source_key]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


EARLY_REPLIES_PER_BATCH = 5_000
"""At most this many stored replies are taken in by the batch that brings their parents (oldest
first): a bound on one batch's work when a crawler collected a whole thread's replies first."""


def early_replies(fresh: Iterable[Post]) -> list[Post]:
    """Stored posts that reply to one of ``fresh`` (posts this batch inserted): replies that arrived
    before their parent, oldest first. Only replies are in the index this reads (``post_reply_to``)."""
    by_source: dict[str, set[str]] = defaultdict(set)
    batch_ids: set[int] = set()
    for post in fresh:
        by_source[post.source_key].add(post.source_id)
        batch_ids.add(post.id)
    found: list[int] = []
    for source_key, source_ids in by_source.items():
        if not _carries_replies(source_key):
            continue
        rows = _posts_of_source("id", "reply_to", source_key, source_ids, "reply_to <> ''")
        found.extend(pk for (pk,) in rows if pk not in batch_ids)
    if not found:
        return []
    stored = Post.objects.filter(pk__in=found).order_by("published_at", "id")[:EARLY_REPLIES_PER_BATCH]
    return list(stored)


_SOURCES_WITH_REPLIES: set[str] = set()
"""Source keys known to have a stored reply (posts are never deleted, so this stays true)."""


def _carries_replies(source_key: str) -> bool:
    """Whether any stored post of this source replies to something: one probe of the replies' index,
    instead of one per post of the batch for the many sources whose posts answer nothing (feeds, most
    pushes). Not cached when false: another worker may have stored the first reply a moment ago."""
    if source_key in _SOURCES_WITH_REPLIES:
        return True
    sql = f"SELECT 1 FROM {Post._meta.db_table} WHERE source_key = %s AND reply_to <> '' LIMIT 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [source_key])
        if cursor.fetchone() is None:
            return False
    _SOURCES_WITH_REPLIES.add(source_key)
    return True


def follow(
    posts: list[Post], wanted: list[_Wanted], parents: dict[Ref, Parent], owner_id: int | None
) -> list[_Wanted]:
    """``wanted`` (the routed mentions) and, for each reply, a mention for every (organisation, rule)
    its parent has and the reply does not already concern (by its own words); for a pushed or imported
    batch, only the owner's. Replies are taken in time order, so a reply to a reply of the same batch
    follows the first reply's new mentions too. Spans are empty: the reply names no term."""
    from hikeshi.monitoring.mentions import _stored_mentions, _Wanted

    replies = [p for p in posts if p.reply_to and (p.source_key, p.reply_to) in parents]
    if not replies:
        return wanted
    of_post: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for w in wanted:
        of_post[w.post.id].append((w.org_id, w.rule_id))
    in_batch = {p.id for p in posts if p.__dict__.get("_inserted_by_batch")}
    # what the stored posts already concern: the parents stored before, and replies stored before
    # their parents (a reply that named an organisation itself keeps that mention and its topic)
    stored = [parent.post_id for parent in parents.values() if parent.post_id not in in_batch]
    stored += [reply.id for reply in replies if reply.id not in in_batch]
    for post_id, org_id, rule_id in sorted(_stored_mentions(stored), key=repr) if stored else ():
        of_post[post_id].append((org_id, rule_id))
    followed = list(wanted)
    for reply in sorted(replies, key=lambda p: (p.published_at, p.id)):
        concerned = {org_id for org_id, _rule in of_post[reply.id]}
        parent = parents[(reply.source_key, reply.reply_to)]
        for org_id, rule_id in list(dict.fromkeys(of_post[parent.post_id])):
            if org_id in concerned or (owner_id is not None and org_id != owner_id):
                continue
            followed.append(_Wanted(reply, org_id, rule_id, []))
            of_post[reply.id].append((org_id, rule_id))
    return followed
