"""Stored posts → mentions: route with every organisation's rules, judge with the organisation's own
words and feedback, group into topics, insert.

Everything is done for the whole batch at once: one router pass, one locking read of the touched
organisations' profiles, one read of the mentions already stored, topics for all organisations
together (see ``topics``) and one insert. Mentions are inserted with their topic already set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection

from hikeshi.analysis import CustomTerms, get_analyzer
from hikeshi.monitoring.judging import judge_unjudged
from hikeshi.monitoring.models import (
    BUCKET_SECONDS,
    FeedbackModel,
    Mention,
    MonitoringProfile,
    Post,
    Source,
    WatchRule,
)
from hikeshi.monitoring.replies import early_replies, find_parents, follow
from hikeshi.monitoring.routing import current_router
from hikeshi.monitoring.sql import ids_in, in_list, insert_rows, pg_bigint_array
from hikeshi.tenancy.models import Organization

if TYPE_CHECKING:
    from hikeshi.ingest.routing import RouteMatch
    from hikeshi.monitoring.topics import Shape

NEGATIVE_RISK = 0.4
"""A mention counts as negative when its sentiment is negative or its risk reaches 「medium」."""


@dataclass(frozen=True, slots=True)
class NewMention:
    """What the series need of a mention this call created (inserted with plain SQL, see ``sql``)."""

    organization_id: int
    post_id: int
    rule_id: int | None
    topic_id: int | None
    bucket_start: datetime
    negative: bool
    author: str
    reposts: int | None
    counted_before: bool
    """The post had a mention in this organisation before this call (another rule's)."""


@dataclass(slots=True)
class _Wanted:
    post: Post
    org_id: int
    rule_id: int | None
    spans: list[list[int]]


def bucket_of(moment: datetime) -> datetime:
    seconds = int(moment.timestamp()) // BUCKET_SECONDS * BUCKET_SECONDS
    return datetime.fromtimestamp(seconds, UTC)


def custom_terms(profile: MonitoringProfile) -> CustomTerms | None:
    terms = CustomTerms(
        confidential=tuple(profile.confidential_terms),
        vip_names=tuple(profile.vip_names),
        own_names=tuple(profile.own_names),
    )
    return terms if (terms.confidential or terms.vip_names or terms.own_names) else None


def lock_profiles(org_ids: Iterable[int]) -> dict[int, MonitoringProfile]:
    """The organisations' profiles, created when missing and locked in id order (no deadlocks between
    workers). Held to the end of the batch's transaction: topic assignment relies on it."""
    wanted = sorted(set(org_ids))
    if not wanted:
        return {}

    def locked() -> dict[int, MonitoringProfile]:
        rows = MonitoringProfile.objects.select_for_update().filter(organization_id__in=wanted)
        return {p.organization_id: p for p in rows.order_by("organization_id")}

    profiles = locked()
    if len(profiles) < len(wanted):
        ensure_profiles(wanted)
        profiles = locked()
    return profiles


def ensure_profiles(org_ids: Iterable[int]) -> None:
    """Create the profiles of these organisations that do not exist yet."""
    wanted = sorted(set(org_ids))
    if not wanted:
        return
    condition, params = ids_in("organization_id", wanted)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT organization_id FROM {MonitoringProfile._meta.db_table} WHERE {condition}",  # noqa: S608
            params,
        )
        present = {org_id for (org_id,) in cursor.fetchall()}
    if len(present) < len(wanted):
        MonitoringProfile.objects.bulk_create(
            [MonitoringProfile(organization_id=o) for o in wanted if o not in present], ignore_conflicts=True
        )


_PROFILE_FIELDS = MonitoringProfile._meta.concrete_fields
_PROFILE_NAMES = [f.attname for f in _PROFILE_FIELDS]


def lock_free_profiles(org_ids: list[int], limit: int) -> dict[int, MonitoringProfile]:
    """Up to ``limit`` of these organisations' (existing) profiles, lowest ids first, that no other
    transaction holds — locked; or, when every one is held, the ``limit`` lowest, waiting for them
    (a transaction that waits holds no other profile: no deadlock). PostgreSQL (SKIP LOCKED).

    Plain SQL (two queries a batch per group; building them with the ORM cost more than the rest of
    taking the locks, profiled); the instances are built as the ORM builds them (``from_db``)."""
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _PROFILE_FIELDS)
    condition, params = ids_in("organization_id", org_ids)
    sql = (
        f"SELECT {columns} FROM {MonitoringProfile._meta.db_table} "  # noqa: S608
        f"WHERE {condition} ORDER BY organization_id LIMIT %s"
    )
    params.append(limit)
    if not connection.features.has_select_for_update_skip_locked:
        return _profiles(sql, params)  # SQLite: its write transaction is the lock
    free = _profiles(sql + " FOR UPDATE SKIP LOCKED", params)
    if free:
        return free
    return _profiles(sql + " FOR UPDATE", params)


def _profiles(sql: str, params: list[Any]) -> dict[int, MonitoringProfile]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # the fields' own converters (JSON text to lists), as the ORM applies them
    converters = [
        (i, f, f.from_db_value) for i, f in enumerate(_PROFILE_FIELDS) if hasattr(f, "from_db_value")
    ]
    profiles: dict[int, MonitoringProfile] = {}
    for row in rows:
        values = list(row)
        for i, f, convert in converters:
            values[i] = convert(values[i], f, connection)
        profile = MonitoringProfile.from_db(connection.alias, _PROFILE_NAMES, values)
        profiles[profile.organization_id] = profile
    return profiles


@dataclass(slots=True)
class MentionPlan:
    """The mentions a batch's posts call for, routed, with their topic shapes: what needs no lock."""

    posts: list[Post]
    wanted: list[_Wanted]
    shapes: dict[int, Shape]
    """``topics.shapes_of`` the wanted posts (signatures and band hashes)."""

    def org_ids(self) -> list[int]:
        return sorted({w.org_id for w in self.wanted})


def create_mentions(
    posts: Iterable[Post], source: Source | None, owner: Organization | None
) -> list[NewMention]:
    """Mentions for every (post, organisation, rule) not stored yet; returns only those created."""
    plan = plan_mentions(posts, owner)
    if plan is None:
        return []
    return store_mentions(plan, lock_profiles(plan.org_ids()), source)


def plan_mentions(posts: Iterable[Post], owner: Organization | None) -> MentionPlan | None:
    """Route the posts and compute their topic shapes (before any lock: the lock serialises workers
    that share organisations). None when no organisation wants any of them."""
    from hikeshi.monitoring import topics  # looked up per call: tests replace assign_topics

    posts = list(posts)
    if not posts:
        return None
    router = None
    wanted: list[_Wanted] = []
    for post in posts:
        # routed when the batch judged it (pipeline._judge_new_posts), else now
        matches: list[RouteMatch] | None = post.__dict__.get("_routes")
        if matches is None:
            router = router or current_router()
            # the normalised text kept by pipeline._new_post, when it has it: not normalised twice
            matches = router.route(post.text, post.__dict__.get("_normalized"))
        if owner is not None:
            matches = [m for m in matches if m.org_id == owner.pk]
            if not matches:
                wanted.append(_Wanted(post, owner.pk, None, []))
        for match in matches:
            spans = [list(s) for s in match.spans]
            wanted.append(_Wanted(post, int(match.org_id), int(match.rule_id), spans))  # type: ignore[call-overload]
    in_batch = {post.id for post in posts}
    waiting = [
        reply
        for reply in early_replies(p for p in posts if p.__dict__.get("_inserted_by_batch"))
        if reply.id not in in_batch  # a reply delivered again with its parent is in the batch already
    ]
    if waiting:
        posts = posts + waiting
    parents = find_parents(posts)
    if parents:
        wanted = follow(posts, wanted, parents, owner.pk if owner is not None else None)
    if not wanted:
        return None
    judge_unjudged(w.post for w in wanted)
    return MentionPlan(posts, wanted, topics.shapes_of((w.post for w in wanted), parents))


def store_mentions(
    plan: MentionPlan, profiles: dict[int, MonitoringProfile], source: Source | None
) -> list[NewMention]:
    """Store the planned mentions of the organisations in ``profiles``, whose rows the caller has
    locked in this transaction: those not stored yet, judged with the organisation's words, with
    their topics. Returns the mentions created."""
    from hikeshi.monitoring import topics  # looked up per call: tests replace assign_topics

    wanted = [w for w in plan.wanted if w.org_id in profiles]
    if not wanted:
        return []
    # Posts this batch inserted have no mention but those its earlier groups stored for other
    # organisations (a batch is almost all new posts: the look-up would find nothing). Another
    # worker's mention of one of them, from a second delivery of the item, fails this group on the
    # unique constraints and the items are retried one by one, as stored posts.
    stored_before = {w.post.id for w in wanted if not w.post.__dict__.get("_inserted_by_batch")}
    done = _stored_mentions(sorted(stored_before)) if stored_before else set()
    todo = _with_live_rules([w for w in wanted if (w.post.id, w.org_id, w.rule_id) not in done])
    mentioned_before = {(post_id, org_id) for post_id, org_id, _rule_id in done}
    shapes = plan.shapes
    if not todo:
        return []
    org_judgements = _org_judgements(todo, profiles)
    banded = {org_id for org_id, profile in profiles.items() if profile.topic_bands}
    placed = topics.assign_topics(((w.org_id, w.post) for w in todo), shapes, banded)
    fields = [
        "organization",
        "post",
        "rule",
        "source",
        "topic",
        "posted_at",
        "bucket_start",
        "spans",
        "risk",
        "level",
        "categories",
        "negative",
        "judgement",
    ]
    rows: list[tuple[Any, ...]] = []
    created: list[NewMention] = []
    for w in todo:
        judgement = org_judgements.get((w.org_id, w.post.id))
        effective = judgement or w.post.judgement
        risk = float(effective["risk"])
        topic_id = placed[(w.org_id, w.post.id)].id
        bucket = bucket_of(w.post.published_at)
        from_source = source is not None and source.organization_id == w.org_id
        negative = effective["sentiment"]["label"] == "negative" or risk >= NEGATIVE_RISK
        rows.append(
            (
                w.org_id,
                w.post.id,
                w.rule_id,
                source.pk if from_source and source is not None else None,
                topic_id,
                w.post.published_at,
                bucket,
                w.spans,
                risk,
                str(effective["level"]),
                [c["code"] for c in effective["categories"]],
                negative,
                judgement,
            )
        )
        created.append(
            NewMention(
                w.org_id,
                w.post.id,
                w.rule_id,
                topic_id,
                bucket,
                negative,
                w.post.author,
                w.post.reposts,
                (w.post.id, w.org_id) in mentioned_before,
            )
        )
    insert_rows(Mention, fields, rows)
    return created


def _with_live_rules(todo: list[_Wanted]) -> list[_Wanted]:
    """Without the mentions of rules deleted since the router was built. The mention's rule key has no
    database constraint (see ``Mention``): under the profile lock, which ``do_delete_rule`` also takes,
    a rule read here stays until this transaction ends."""
    rule_ids = sorted({w.rule_id for w in todo if w.rule_id is not None})
    if not rule_ids:
        return todo
    condition, params = ids_in("id", rule_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {WatchRule._meta.db_table} WHERE {condition}", params)  # noqa: S608
        live = {rule_id for (rule_id,) in cursor.fetchall()}
    if len(live) == len(rule_ids):
        return todo
    return [w for w in todo if w.rule_id is None or w.rule_id in live]


def _stored_mentions(post_ids: list[int]) -> set[tuple[int, int, int | None]]:
    """(post, organisation, rule) of the mentions already stored for these posts.

    A plain ``post_id = ANY(…)`` of a batch's 500 ids is planned as a scan of the whole mention table
    where the table has no statistics yet (autovacuum off, as on the benchmark's server, or a table not
    analysed yet), and as a probe of the post's index after ``ANALYZE`` (PostgreSQL 15, ``EXPLAIN`` on
    a 20,000-post benchmark database). So on PostgreSQL each post is looked up through a ``LATERAL``
    union, which the planner cannot flatten: every post is an index probe either way. Each half names
    one of the two partial unique constraints' conditions (with a rule, without one)."""
    table = Mention._meta.db_table
    columns = "post_id, organization_id, rule_id"
    if connection.vendor == "postgresql":
        probe = f"SELECT {columns} FROM {table} WHERE post_id = wanted.id AND rule_id"  # noqa: S608
        sql = (
            f"SELECT found.* FROM unnest(%s::bigint[]) AS wanted(id) CROSS JOIN LATERAL "  # noqa: S608
            f"({probe} IS NOT NULL UNION ALL {probe} IS NULL) AS found"
        )
        params: list[Any] = [pg_bigint_array(post_ids)]
    else:
        condition, params = in_list("post_id", post_ids, "bigint")
        half = f"SELECT {columns} FROM {table} WHERE {condition} AND rule_id"  # noqa: S608
        sql = f"{half} IS NOT NULL UNION ALL {half} IS NULL"
        params = params * 2
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return set(cursor.fetchall())


def _org_judgements(
    todo: list[_Wanted], profiles: dict[int, MonitoringProfile]
) -> dict[tuple[int, int], dict[str, Any]]:
    """The organisation's own judgement of a post where it differs from the post's: re-judged with its
    words (confidential terms, VIPs, own names), then adjusted by what its operators' feedback taught
    (``feedback``)."""
    from hikeshi.monitoring.feedback import load_adjustments

    org_ids = sorted({w.org_id for w in todo})
    adjustments = load_adjustments(_with_feedback_model(org_ids))
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for org_id in org_ids:
        custom = custom_terms(profiles[org_id]) if org_id in profiles else None
        adjustment = adjustments.get(org_id)
        if custom is None and adjustment is None:
            continue
        posts = list({w.post.id: w.post for w in todo if w.org_id == org_id}.values())
        texts = [p.text for p in posts]
        if custom is not None:
            judgements = [j.to_dict() for j in get_analyzer().analyze(texts, custom=custom)]
        else:
            judgements = [p.judgement for p in posts]
        if adjustment is not None:
            probabilities = adjustment.probabilities(texts)
            judgements = [adjustment.apply(j, probabilities[i]) for i, j in enumerate(judgements)]
        for post, data in zip(posts, judgements, strict=True):
            if data != post.judgement:
                found[(org_id, post.id)] = data
    return found


def _with_feedback_model(org_ids: list[int]) -> list[int]:
    """Those of the organisations that have a trained feedback model, with one plain query: most have
    none, and ``load_adjustments``' ORM query for all of a group's organisations cost more than the
    rest of this step (sampled: about 2 % of a worker's CPU)."""
    if not org_ids:
        return []
    condition, params = ids_in("organization_id", org_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT organization_id FROM {FeedbackModel._meta.db_table} WHERE {condition}",  # noqa: S608
            params,
        )
        return sorted(org_id for (org_id,) in cursor.fetchall())
