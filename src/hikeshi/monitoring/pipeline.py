"""The monitoring pipeline as plain functions: normalise → dedupe → route → analyse → store → topics → series.

``process_items`` takes a batch of ingested items from one source and is idempotent: posts are keyed by
(source_key, source_id), mentions by (post, organisation, rule), and topic and series counts change only
for mentions created by this call (series buckets count each mention once, see ``buckets``). Running
the same batch twice — a redelivered task, a worker that died before acknowledging — changes nothing
the second time. An item that cannot be stored goes to the dead-letter table with the reason instead of failing
the batch.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import operator
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from hikeshi.ingest.dedup import content_form_and_normalized
from hikeshi.ingest.items import Engagement, IngestedItem, with_storable_text
from hikeshi.monitoring import judging
from hikeshi.monitoring.judging import apply_judgement
from hikeshi.monitoring.mentions import (
    NewMention,
    create_mentions,
    ensure_profiles,
    lock_free_profiles,
    plan_mentions,
    store_mentions,
)
from hikeshi.monitoring.models import DeadLetter, DeadLetterStage, Post, Source
from hikeshi.monitoring.routing import current_router
from hikeshi.monitoring.sql import concrete_field, insert_rows, probe
from hikeshi.tenancy.models import Organization

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000
MAX_FUTURE = timedelta(hours=1)
ORG_GROUPS = 2
"""On PostgreSQL a batch stores its mentions in this many transactions, each for a share of its
organisations (see ``_store_mentions_by_organisation``)."""
SPLIT_BY_ORGANISATION: bool | None = None
"""None: split when the database can skip locked rows (PostgreSQL) and the caller has no transaction
open. Tests set it to exercise either way."""
FREEZE_HEAP = True
"""Move the worker's long-lived heap out of the cyclic collector once (``_freeze_long_lived_heap``)."""
_heap_frozen = False


@dataclass(slots=True)
class ItemOutcome:
    source_id: str
    status: str
    """``accepted`` (new post), ``duplicate`` (already stored from this source) or ``error``."""
    post_id: int | None = None
    copy_of: int | None = None
    error: str = ""


@dataclass(slots=True)
class BatchResult:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    posts_created: int = 0
    mentions_created: int = 0
    organizations: set[int] = field(default_factory=set)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def item_from_dict(data: dict[str, Any]) -> IngestedItem:
    published = data.get("published")
    return IngestedItem(
        source_id=str(data["source_id"]),
        text=str(data["text"]),
        title=str(data.get("title") or ""),
        url=data.get("url"),
        author=data.get("author"),
        published=datetime.fromisoformat(published) if published else None,
        engagement=Engagement(**{k: int(v) for k, v in (data.get("engagement") or {}).items()}),
        source=data.get("source"),
        reply_to=data.get("reply_to"),
    )


def _normalised(item: IngestedItem, now: datetime) -> IngestedItem:
    text = item.text.strip()
    if not text:
        raise ValueError("the post has no text")
    if not item.source_id or len(item.source_id) > 1000:
        raise ValueError("the post id must be 1–1000 characters")
    published = item.published or now
    if published.tzinfo is None:
        raise ValueError("the publication time has no timezone")
    if published > now + MAX_FUTURE:
        published = now  # clocks of small sites drift; a post from the future would sit on top forever
    text = text[:MAX_TEXT_CHARS]
    title = (item.title or "")[:500]
    author = (item.author or "")[:300] or None
    source = (item.source or "")[:200] or None
    # a reply to itself, or an id no post of the source could have, links to nothing
    reply_to = (
        item.reply_to
        if item.reply_to and item.reply_to != item.source_id and len(item.reply_to) <= 1000
        else None
    )
    if (text, title, author, source, reply_to, published) == (
        item.text,
        item.title,
        item.author,
        item.source,
        item.reply_to,
        item.published,
    ):
        return item  # most items: a frozen dataclass's constructor was 1 % of a worker (sampled)
    return IngestedItem(
        source_id=item.source_id,
        text=text,
        title=title,
        url=item.url,
        author=author,
        published=published,
        engagement=item.engagement,
        source=source,
        reply_to=reply_to,
    )


def _dead_letter(
    stage: str,
    item: IngestedItem,
    error: str,
    *,
    source_key: str,
    source: Source | None,
    owner: Organization | None,
) -> None:
    organization = owner or (source.organization if source else None)
    if organization is None:
        logger.warning("dropped item %s from %s: %s", item.source_id, source_key, error)
        return
    DeadLetter.objects.create(
        organization=organization,
        source=source,
        stage=stage,
        payload={"item": item.to_dict(), "source_key": source_key, "owner": owner.pk if owner else None},
        error=error[:2000],
    )


def process_items(
    items: Sequence[IngestedItem],
    *,
    source_key: str,
    source: Source | None = None,
    owner: Organization | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """Store a batch from one source. ``owner``: the organisation that pushed or imported the items —
    they concern only it (a client's own crawler data is never routed to other clients) and are kept
    even when no rule matches. Without an owner, posts go to every organisation whose rules match."""
    _freeze_long_lived_heap()
    # One pause for the whole batch: with the posts' and the mentions' parts paused separately, the
    # collection between them scanned every object of the batch, all still alive (a second collection
    # per batch). After it, only what outlives the batch is left for the next collection to scan.
    with _collector_paused():
        return _process_items(items, source_key=source_key, source=source, owner=owner, now=now)


def _process_items(
    items: Sequence[IngestedItem],
    *,
    source_key: str,
    source: Source | None = None,
    owner: Organization | None = None,
    now: datetime | None = None,
) -> BatchResult:
    now = now or timezone.now()
    result = BatchResult()
    ready: list[IngestedItem] = []
    for raw in items:
        item = with_storable_text(raw)
        try:
            ready.append(_normalised(item, now))
        except (ValueError, TypeError) as exc:
            result.outcomes.append(ItemOutcome(item.source_id, "error", error=str(exc)))
            _dead_letter(
                DeadLetterStage.NORMALISE, item, str(exc), source_key=source_key, source=source, owner=owner
            )
    split = _split_by_organisation()
    try:
        with transaction.atomic(), _collector_paused():
            outcomes, posts = _store_posts(ready, source_key, source, owner, now, result)
            if not split:
                _store_mentions(posts, source, owner, result)
    except Exception as exc:
        if len(ready) == 1:
            result.outcomes.append(ItemOutcome(ready[0].source_id, "error", error=str(exc)))
            _dead_letter(
                DeadLetterStage.STORE, ready[0], repr(exc), source_key=source_key, source=source, owner=owner
            )
            return result
        logger.warning(
            "batch from %s failed (%r); storing its items one by one", source_key, exc, exc_info=True
        )
        for item in ready:
            single = _process_items([item], source_key=source_key, source=source, owner=owner, now=now)
            result.outcomes.extend(single.outcomes)
            result.posts_created += single.posts_created
            result.mentions_created += single.mentions_created
            result.organizations |= single.organizations
        return result
    result.outcomes.extend(outcomes)
    if split:
        _split_mentions(ready, posts, source_key, source, owner, now, result)
    return result


def _split_by_organisation() -> bool:
    if SPLIT_BY_ORGANISATION is not None:
        return SPLIT_BY_ORGANISATION and not connection.in_atomic_block
    return connection.features.has_select_for_update_skip_locked and not connection.in_atomic_block


def _split_mentions(
    ready: list[IngestedItem],
    posts: list[Post],
    source_key: str,
    source: Source | None,
    owner: Organization | None,
    now: datetime,
    result: BatchResult,
) -> None:
    """The mentions of posts already committed, by groups of organisations. If that fails, each item
    is tried again alone (its post is stored: only its missing mentions are made), as a failing
    batch is; an item that still fails goes to the dead letters."""
    try:
        with _collector_paused():
            _store_mentions_by_organisation(posts, source, owner, result)
    except Exception as exc:
        if len(ready) == 1:
            error = ItemOutcome(ready[0].source_id, "error", error=str(exc))
            result.outcomes = [error if o.source_id == error.source_id else o for o in result.outcomes]
            _dead_letter(
                DeadLetterStage.STORE, ready[0], repr(exc), source_key=source_key, source=source, owner=owner
            )
            return
        logger.warning(
            "mentions of a batch from %s failed (%r); storing its items one by one",
            source_key,
            exc,
            exc_info=True,
        )
        failed: dict[str, ItemOutcome] = {}
        for item in ready:
            single = _process_items([item], source_key=source_key, source=source, owner=owner, now=now)
            result.mentions_created += single.mentions_created
            result.organizations |= single.organizations
            failed.update((o.source_id, o) for o in single.outcomes if o.status == "error")
        result.outcomes = [failed.get(o.source_id, o) for o in result.outcomes]


def _store_mentions(
    posts: list[Post], source: Source | None, owner: Organization | None, result: BatchResult
) -> None:
    """The posts' mentions, topics and series in the caller's transaction, every organisation locked."""
    from hikeshi.monitoring.series import update_series

    new_mentions = create_mentions(posts, source, owner)
    _count(new_mentions, result)
    update_series(new_mentions)


def _store_mentions_by_organisation(
    posts: list[Post], source: Source | None, owner: Organization | None, result: BatchResult
) -> None:
    """The posts' mentions, topics and series in one transaction per group of organisations (at most
    1/ORG_GROUPS of them each), taking first the groups no other worker holds.

    Two workers whose batches concern the same organisations would otherwise run this part — most of
    the database work of a batch and the commit — one after the other, each waiting for the other's
    whole batch (measured: about 60 % of a batch's time is spent holding the profile locks). A group
    waits only when every organisation it still needs is held, and then holds nothing else (no
    deadlock). Each group commits on its own: a worker that dies between them has stored the posts
    and some of their mentions; the redelivered batch finds the posts and makes only the missing
    mentions (idempotent, as for any re-run)."""
    from hikeshi.monitoring.series import update_series

    plan = plan_mentions(posts, owner)
    if plan is None:
        return
    pending = plan.org_ids()
    ensure_profiles(pending)
    limit = -(-len(pending) // ORG_GROUPS)
    while pending:
        with transaction.atomic():
            profiles = lock_free_profiles(pending, limit)
            if not profiles:
                return  # the remaining organisations were deleted meanwhile
            new_mentions = store_mentions(plan, profiles, source)
            update_series(new_mentions)
        _count(new_mentions, result)
        pending = [org_id for org_id in pending if org_id not in profiles]


def _count(new_mentions: list[NewMention], result: BatchResult) -> None:
    result.mentions_created += len(new_mentions)
    result.organizations |= {m.organization_id for m in new_mentions}


def _freeze_long_lived_heap() -> None:
    """Once per process, before a batch once the analysis engine has been loaded by an earlier one:
    ``gc.freeze()`` the heap — the engine's models, the router, the modules — so that no later full
    collection scans it again. Such a collection, triggered when enough new objects have aged into the
    oldest generation (a worker's topic-index cache), took 0.11-0.13 s of a worker's CPU, about one per
    worker in a 20,000-post two-worker run (``gc.callbacks``). Only the young generations are collected
    first: a full collection here would cost that same 0.12 s. Frozen objects are still freed by reference
    counting; reference cycles already in the oldest generation (from start-up) are never collected —
    a bounded, one-time amount. Between batches, so no batch's objects are frozen."""
    global _heap_frozen
    if _heap_frozen or not judging.analyzer_used or not FREEZE_HEAP:
        return
    _heap_frozen = True
    gc.collect(1)
    gc.freeze()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is stored. A batch allocates hundreds of thousands
    of short-lived objects, and a worker holds a large long-lived heap (the analysis models, its topic
    index cache): full collections triggered mid-batch scanned all of it again and again (measured:
    ~15 % of a batch). The batch's cyclic garbage is collected after it, as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _store_posts(
    items: list[IngestedItem],
    source_key: str,
    source: Source | None,
    owner: Organization | None,
    now: datetime,
    result: BatchResult,
) -> tuple[list[ItemOutcome], list[Post]]:
    """Store the new posts (judged) and refresh the engagement of those stored before; returns the
    outcomes and every post of the batch, new or not (their mentions are made next)."""
    outcomes: list[ItemOutcome] = []
    existing = _stored_posts(source_key, [i.source_id for i in items])
    posts: list[Post] = []
    fresh: list[tuple[IngestedItem, Post]] = []
    seen_ids: set[str] = set()
    refreshed: list[Post] = []
    for item in items:
        if item.source_id in seen_ids:
            outcomes.append(ItemOutcome(item.source_id, "duplicate", post_id=existing[item.source_id].pk))
            continue
        seen_ids.add(item.source_id)
        if item.source_id in existing:
            post = existing[item.source_id]
            if _refresh_engagement(post, item.engagement):
                refreshed.append(post)
            outcomes.append(ItemOutcome(item.source_id, "duplicate", post_id=post.pk))
            posts.append(post)
            continue
        post = _new_post(item, source_key)
        fresh.append((item, post))
        existing[item.source_id] = post
    if refreshed:
        Post.objects.bulk_update(refreshed, ["reposts", "likes", "replies", "author_followers", "views"])
    _judge_new_posts([post for _item, post in fresh], owner)
    _insert_posts([post for _item, post in fresh])
    result.posts_created += len(fresh)
    for item, post in fresh:
        outcomes.append(ItemOutcome(item.source_id, "accepted", post_id=post.pk, copy_of=post.copy_of_id))
        posts.append(post)
    if source is not None and fresh:
        Source.objects.filter(pk=source.pk).update(items_total=source.items_total + len(fresh))
    return outcomes, posts


def _select(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _stored_posts(source_key: str, source_ids: list[str]) -> dict[str, Post]:
    """The posts of this source already stored, by source id. Ids first, with one bound array (a
    firehose batch is almost all new posts: building a 500-value ``__in`` lookup cost more than the
    query), then the instances of those found."""
    if not source_ids:
        return {}
    # one look-up per id in the (source_key, source_id) unique index (see sql.probe): a source's
    # posts all share its key, so without statistics PostgreSQL read every post of the source
    found = _select(
        *probe(
            "id",
            Post._meta.db_table,
            "source_id",
            sorted(set(source_ids)),
            "text",
            "source_key = %s",
            [source_key],
        )
    )
    if not found:
        return {}
    return {p.source_id: p for p in Post.objects.in_bulk([pk for (pk,) in found]).values()}


POST_FIELDS = [
    field.name for field in Post._meta.concrete_fields if not field.primary_key and field.name != "fetched_at"
]


def _insert_posts(posts: list[Post]) -> None:
    """One multi-row INSERT ... RETURNING for the batch's new posts (see ``sql``); the instances get
    their ids and behave as saved."""
    if not posts:
        return
    values = operator.attrgetter(*(concrete_field(Post, name).attname for name in POST_FIELDS))
    now = timezone.now()  # fetched_at is the real time, also when a replay passes its own clock
    for post in posts:
        post.fetched_at = now
    returned = insert_rows(
        Post,
        [*POST_FIELDS, "fetched_at"],
        [(*values(post), now) for post in posts],
        returning=["id", "source_key", "source_id"],
    )
    ids = {(source_key, source_id): pk for pk, source_key, source_id in returned}
    for post in posts:
        post.pk = ids[(post.source_key, post.source_id)]
        post._state.adding = False
        post._state.db = "default"
        post._inserted_by_batch = True  # type: ignore[attr-defined]  # no mention yet: see mentions.store_mentions


def _refresh_engagement(post: Post, engagement: Engagement) -> bool:
    changed = False
    for name, value in engagement.to_dict().items():
        if getattr(post, name) != value:
            setattr(post, name, value)
            changed = True
    return changed


def _new_post(item: IngestedItem, source_key: str) -> Post:
    """An unsaved Post, built without ``Model.__init__``: its keyword handling and signals cost more
    than the rest of storing the post (profiled). Every concrete field is set here; ``fetched_at`` is
    set when the batch is inserted."""
    engagement = item.engagement
    assert item.published is not None  # set by _normalised
    form, normalized = content_form_and_normalized(item.text)
    post = Post.__new__(Post)
    post._state = ModelState()
    post.__dict__.update(
        id=None,
        source_key=source_key,
        source_id=item.source_id,
        content_hash=_content_key(form),
        copy_of_id=None,
        text=item.text,
        title=item.title,
        url=item.url or "",
        author=item.author or "",
        origin=item.source or "",
        reply_to=item.reply_to or "",
        published_at=item.published,
        fetched_at=None,
        reposts=engagement.reposts,
        likes=engagement.likes,
        replies=engagement.replies,
        author_followers=engagement.author_followers,
        views=engagement.views,
        risk=0.0,
        level="none",
        categories=[],
        toxicity=0.0,
        sentiment=0.0,
        judgement={},
    )
    post._content_form = form  # type: ignore[attr-defined]  # for topics.shapes_of: normalising costs
    post._normalized = normalized  # type: ignore[attr-defined]  # for routing (mentions.plan_mentions)
    return post


def _content_key(form: str) -> str:
    """``ingest.dedup.content_key`` of a text whose content form is ``form`` ("" for none; a test
    checks they agree)."""
    return hashlib.blake2b(form.encode("utf-8"), digest_size=16).hexdigest() if form else ""


def _judge_new_posts(posts: list[Post], owner: Organization | None) -> None:
    """Route the new posts (the routes are kept for ``mentions.plan_mentions``) and judge those some
    organisation wants (see ``judging``). Copies (same content as a stored post) are linked to the
    original and take its judgement where it has one; the rest go to the engine in one batch."""
    router = current_router()
    for post in posts:
        post._routes = router.route(post.text, post._normalized)  # type: ignore[attr-defined]
    hashes = sorted({p.content_hash for p in posts if p.content_hash})
    first_ids: dict[str, int] = {}
    if hashes:
        # copy_of_id is tested here, not in SQL: given "copy_of_id IS NULL", SQLite's planner chose
        # that column's index over content_hash's and read every original post (measured). One index
        # look-up per hash (sql.probe): PostgreSQL without statistics scanned every post.
        sql, params = probe(
            "id, content_hash, copy_of_id", Post._meta.db_table, "content_hash", hashes, "text"
        )
        for pk, content_hash, copy_of_id in _select(sql + " ORDER BY id", params):
            if copy_of_id is None:
                first_ids.setdefault(content_hash, pk)
    found = Post.objects.in_bulk(list(first_ids.values())) if first_ids else {}
    originals = {content_hash: found[pk] for content_hash, pk in first_ids.items()}
    to_analyse: list[Post] = []
    for post in posts:
        earlier = originals.get(post.content_hash) if post.content_hash else None
        if earlier is not None:
            post.copy_of = earlier
            if earlier.judgement:
                apply_judgement(post, earlier.judgement)
                continue
        if owner is not None or post._routes or post.reply_to:  # type: ignore[attr-defined]
            to_analyse.append(post)
    judging.judge(to_analyse)
