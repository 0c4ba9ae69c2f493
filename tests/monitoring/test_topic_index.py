"""The topic index kept in tables: grouping across batches, per-organisation keys, pruning, bounds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hikeshi.ingest.items import IngestedItem
from hikeshi.monitoring import topic_index, topics
from hikeshi.monitoring.models import Mention, MonitoringProfile, Post, Topic, TopicBand, TopicMember
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import NOW, item
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

STORY = "サンプル食品の幕の内弁当にビニール片が入ってた。異物混入ってありえない、返金してほしい"
FEED = "rss:https://feed.example/topics"


def topic_of(org_id: int, source_id: str) -> int | None:
    return Mention.objects.get(organization_id=org_id, post__source_id=source_id).topic_id


def with_band_rows(*tenants: Tenant) -> None:
    """Give the organisations their band rows and mark them (``MonitoringProfile.topic_bands``), as the
    first partial load of an organisation's index does: their batches then write band rows, which these
    tests inspect. (The tenant fixtures store a post each, with its topic member.)"""
    from hikeshi.monitoring.mentions import ensure_profiles

    ensure_profiles([tenant.org.pk for tenant in tenants])
    topic_index._fill_bands([tenant.org.pk for tenant in tenants])


def band_rows_of(members: Any) -> dict[int, list[int]]:
    """{member id: its band keys}, as the band rows hold them (in row order)."""
    rows: dict[int, list[int]] = {}
    for member_id, key in (
        TopicBand.objects.filter(member__in=members).order_by("id").values_list("member_id", "band_key")
    ):
        rows.setdefault(member_id, []).append(key)
    return rows


def keys_of_masks(members: Any) -> dict[int, list[int]]:
    """{member id: its band keys}, from its signature and band mask (members with a band at least)."""
    import numpy as np

    keys: dict[int, list[int]] = {}
    for member in members:
        if member.signature is None or not member.band_mask:
            continue
        signature = np.frombuffer(bytes(member.signature), dtype=np.uint64)
        all_keys = topics.band_keys(member.organization_id, signature)
        keys[member.pk] = [key for band, key in enumerate(all_keys) if member.band_mask >> band & 1]
    return keys


def test_a_rewrite_in_a_later_batch_joins_the_stored_topic(alpha: Tenant) -> None:
    with_band_rows(alpha)
    process_items([item("a", STORY, 60)], source_key=FEED, now=NOW)
    member = TopicMember.objects.for_org(alpha.org).get(topic_id=topic_of(alpha.org.pk, "a"))
    assert member.signature is not None and len(bytes(member.signature)) == 64 * 8
    assert TopicBand.objects.filter(member=member).count() == topics.PARAMS.bands

    process_items([item("b", STORY.replace("返金してほしい", "返金して"), 30)], source_key=FEED, now=NOW)
    process_items([item("c", "今日はサンプル食品の新商品を買った。おいしい", 20)], source_key=FEED, now=NOW)
    assert topic_of(alpha.org.pk, "b") == topic_of(alpha.org.pk, "a")
    assert topic_of(alpha.org.pk, "c") != topic_of(alpha.org.pk, "a")
    story = Topic.objects.get(pk=topic_of(alpha.org.pk, "a"))
    assert story.post_count == 2 and story.first_post.source_id == "a"


def test_each_organisation_has_its_own_topics_members_and_band_keys(alpha: Tenant, beta: Tenant) -> None:
    process_items([item("a", STORY, 60), item("b", f"【悲報】{STORY}", 50)], source_key=FEED, now=NOW)
    for tenant in (alpha, beta):
        assert topic_of(tenant.org.pk, "a") == topic_of(tenant.org.pk, "b")
        assert Topic.objects.get(pk=topic_of(tenant.org.pk, "a")).organization_id == tenant.org.pk
    assert topic_of(alpha.org.pk, "a") != topic_of(beta.org.pk, "a")
    signature = topics._HASHER.signature("ビニール片が入ってた弁当の話")
    assert set(topics.band_keys(alpha.org.pk, signature)).isdisjoint(topics.band_keys(beta.org.pk, signature))
    # the exact copy (same content key) added no member of its own
    assert TopicMember.objects.for_org(alpha.org).filter(topic_id=topic_of(alpha.org.pk, "a")).count() == 1


def test_posts_older_than_the_index_memory_stop_attracting(alpha: Tenant) -> None:
    with_band_rows(alpha)
    process_items([item("old", STORY, 60)], source_key=FEED, now=NOW)
    old_member = TopicMember.objects.for_org(alpha.org).get(topic_id=topic_of(alpha.org.pk, "old"))
    later = NOW + topics.INDEX_MEMORY + timedelta(hours=2)
    fresh = replace(item("new", STORY + "!"), published=later - timedelta(minutes=10))
    process_items([fresh], source_key=FEED, now=later)
    assert not TopicMember.objects.filter(pk=old_member.pk).exists()
    assert not TopicBand.objects.filter(member_id=old_member.pk).exists()
    assert topic_of(alpha.org.pk, "new") != topic_of(alpha.org.pk, "old")
    assert Topic.objects.filter(pk=topic_of(alpha.org.pk, "old")).exists()  # the topic itself stays


def test_near_copies_and_full_band_keys_add_no_band_rows(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_band_rows(alpha)
    monkeypatch.setattr(topics, "MAX_PER_BAND", 2)
    variants = [f"{STORY} その{i}、{'ほんとに' * (i % 3)}最悪" for i in range(8)]
    process_items([item(str(i), text, 60 - i) for i, text in enumerate(variants)], source_key=FEED, now=NOW)
    process_items([item("late", f"{STORY} その9、最悪", 1)], source_key=FEED, now=NOW)
    story = {topic_of(alpha.org.pk, str(i)) for i in range(8)} | {topic_of(alpha.org.pk, "late")}
    assert len(story) == 1
    members = TopicMember.objects.for_org(alpha.org).filter(topic_id__in=story)
    assert members.count() == 9  # every rewrite is remembered by its content key ...
    per_key = TopicBand.objects.filter(member__in=members).values_list("band_key", flat=True)
    assert max(list(per_key).count(k) for k in set(per_key)) <= 2  # ... but a key holds at most 2 members
    assert Topic.objects.get(pk=story.pop()).post_count == 9


def test_one_batch_for_many_organisations_counts_each_series(alpha: Tenant, beta: Tenant) -> None:
    from hikeshi.monitoring.models import SeriesBucket, SeriesState

    items = [item(str(i), f"{STORY} {i}", 12) for i in range(3)] + [item("x", "サンプル食品 おいしい", 12)]
    process_items(items, source_key=FEED, now=NOW)
    for tenant in (alpha, beta):
        buckets = SeriesBucket.objects.for_org(tenant.org).filter(
            series="org", bucket_start__gte=NOW - timedelta(hours=1)
        )
        assert sum(buckets.values_list("mentions", flat=True)) == 4
        assert SeriesState.objects.for_org(tenant.org).filter(series="org", pending=True).exists()
    assert Post.objects.filter(source_key=FEED).count() == 4


# --- the index a worker keeps in memory between batches (topic_index) --------------------------------

OTHER = "見本学園の学食のカレーに虫が入ってたって話、本当なのかな。サンプル食品が納入してるらしい"


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Iterator[Callable[..., Any]]:
    """process_items as in production: the batch's on_commit work (keeping the index) runs."""
    topic_index.clear_cache()

    def run(*items: IngestedItem, now: datetime = NOW) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return process_items(list(items), source_key=FEED, now=now)

    yield run
    topic_index.clear_cache()


def _other_worker(run: Callable[..., Any], *items: IngestedItem, now: datetime = NOW) -> None:
    """A batch stored by another worker process: it has its own (here: empty) cache."""
    ours = dict(topic_index._CACHE)
    topic_index.clear_cache()
    run(*items, now=now)
    topic_index.clear_cache()
    topic_index._CACHE.update(ours)


def test_a_worker_keeps_its_index_and_catches_up_with_other_workers(
    alpha: Tenant, beta: Tenant, committed: Callable[..., Any]
) -> None:
    with_band_rows(alpha)
    # beta's own post takes member ids first, so alpha's member count differs from its highest id
    process_items(
        [item("x", "ベータ学園の文化祭の模擬店の話")], source_key="push:beta", owner=beta.org, now=NOW
    )
    committed(item("a", STORY, 60))
    assert any(org_id == alpha.org.pk for _db, org_id in topic_index._CACHE)
    _other_worker(committed, item("b", OTHER, 50))  # a member this worker's copy does not have
    with CaptureQueriesContext(connection) as queries:
        committed(item("c", OTHER.replace("本当なのかな", "ほんと?"), 40), item("d", STORY + "!!", 40))
    assert topic_of(alpha.org.pk, "c") == topic_of(alpha.org.pk, "b")
    assert topic_of(alpha.org.pk, "d") == topic_of(alpha.org.pk, "a")
    member_reads = [
        q["sql"] for q in queries if "signature, band_mask FROM monitoring_topicmember" in q["sql"]
    ]
    # the copy was brought up to date (members above its highest id), not read again whole
    assert member_reads and all("id >" in sql for sql in member_reads), member_reads
    # ... and the new member's band keys computed from its signature and mask, not read
    assert not any("FROM monitoring_topicband WHERE member_id" in q["sql"] for q in queries)
    assert_cached_bands_are_stored(alpha)


def assert_cached_bands_are_stored(tenant: Tenant) -> None:
    cached = next(index for (_db, org_id), index in topic_index._CACHE.items() if org_id == tenant.org.pk)
    stored = TopicMember.objects.for_org(tenant.org)
    assert set(cached.members) == set(stored.values_list("pk", flat=True))
    for member in cached.members.values():
        rows = TopicBand.objects.filter(member_id=member.pk).order_by("id").values_list("band_key", flat=True)
        assert member.bands == list(rows)
    for key, members in cached.by_band.items():
        rows = TopicBand.objects.filter(band_key=key, member__in=stored).order_by("id")
        assert [m.pk for m in members] == list(rows.values_list("member_id", flat=True))


def test_members_stored_before_the_band_mask_have_their_band_rows_read(
    alpha: Tenant, committed: Callable[..., Any]
) -> None:
    with_band_rows(alpha)  # as migration 0011 marks organisations with members
    committed(item("a", STORY, 60), item("b", OTHER, 50))
    TopicMember.objects.update(band_mask=None)  # as rows written before migration 0010
    topic_index.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        committed(item("d", STORY + "!!", 40))
    assert topic_of(alpha.org.pk, "d") == topic_of(alpha.org.pk, "a")
    assert any("FROM monitoring_topicband WHERE member_id" in q["sql"] for q in queries)
    assert_cached_bands_are_stored(alpha)


def test_members_another_worker_pruned_are_forgotten(alpha: Tenant, committed: Callable[..., Any]) -> None:
    recent = "サンプル食品のおにぎりの具が少なすぎる件について語ろう"
    with_band_rows(alpha)
    committed(item("old", STORY, 60), item("recent", recent, 0))
    # Another worker, three days later: its batch only repeats "recent" (no member added) and its
    # horizon forgets "old" — the table now has fewer members under the same highest id.
    later = NOW + topics.INDEX_MEMORY - timedelta(minutes=30)
    _other_worker(committed, replace(item("again", recent), published=later), now=later)
    assert not TopicMember.objects.filter(topic_id=topic_of(alpha.org.pk, "old")).exists()
    assert not TopicBand.objects.exclude(
        member_id__in=TopicMember.objects.values("pk")
    ).exists()  # its bands too
    # This worker's copy still holds "old", and this batch's own horizon would keep it: the count
    # differs from the table's, so the copy is dropped and the index read again.
    committed(item("rewrite", STORY.replace("ありえない", "ありえん"), 10))
    assert topic_of(alpha.org.pk, "rewrite") != topic_of(alpha.org.pk, "old")


def test_a_batch_that_rolls_back_leaves_nothing_in_the_cache(
    alpha: Tenant, committed: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hikeshi.monitoring import series

    committed(item("a", STORY, 60))

    def fail(*args: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(series, "update_series", fail)
    committed(item("b", OTHER, 50))  # dead-lettered: its topic and member were rolled back
    assert not Post.objects.filter(source_id="b").exists()
    monkeypatch.undo()
    # another worker stores a member; on SQLite it may reuse the rolled-back member's id
    _other_worker(committed, item("e", "サンプル食品の株主優待でお米が届いた。毎年うれしい", 45))
    committed(item("b2", OTHER, 40))  # the same content as b: must not find b's rolled-back member
    topic = Topic.objects.get(pk=topic_of(alpha.org.pk, "b2"))
    assert topic.post_count == 1 and topic.first_post.source_id == "b2"


def test_organisations_beyond_the_cache_bounds_are_read_per_batch(
    alpha: Tenant, committed: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_band_rows(alpha)  # filled already (the fill itself: see the test after the next)
    committed(item("a", STORY, 60), item("b", OTHER, 50))
    topic_index.clear_cache()
    monkeypatch.setattr(topic_index, "CACHE_MEMBERS", 1)  # alpha has 2 members: too many to cache
    with CaptureQueriesContext(connection) as queries:
        committed(item("c", STORY + "!!", 40))
    assert topic_of(alpha.org.pk, "c") == topic_of(alpha.org.pk, "a")  # found by its band keys
    assert not topic_index._CACHE
    member_reads = [
        q["sql"] for q in queries if "signature, band_mask FROM monitoring_topicmember" in q["sql"]
    ]
    conditions = [sql.split(" WHERE ", 1)[1] for sql in member_reads]
    # the members with the batch's keys (SQLite: IN a JSON list; PostgreSQL: = ANY an array) ...
    assert any("content_key IN" in c or "content_key = ANY" in c for c in conditions)
    whole = [c for c in conditions if c.startswith(("organization_id IN", "organization_id = ANY"))]
    assert not [c for c in whole if "content_key" not in c]


def test_organisations_loaded_whole_have_no_band_rows(alpha: Tenant, committed: Callable[..., Any]) -> None:
    """Band rows are read only by partial loads: an organisation whose index is cached or read whole
    keeps its members' band keys in their masks, and finds its stories as well."""
    committed(item("a", STORY, 60), item("b", OTHER, 50))
    committed(item("c", STORY + "!!", 40))  # the cached copy
    topic_index.clear_cache()
    committed(item("d", OTHER.replace("本当なのかな", "ほんと?"), 30))  # read whole from the tables
    assert topic_of(alpha.org.pk, "c") == topic_of(alpha.org.pk, "a")
    assert topic_of(alpha.org.pk, "d") == topic_of(alpha.org.pk, "b")
    members = TopicMember.objects.for_org(alpha.org)
    assert not TopicBand.objects.exists()
    assert keys_of_masks(members)  # the keys are there, in the masks
    assert not MonitoringProfile.objects.get(organization=alpha.org).topic_bands


def test_the_first_partial_load_fills_the_band_rows_from_the_masks(
    alpha: Tenant, committed: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    committed(item("a", STORY, 60), item("b", OTHER, 50))
    assert not TopicBand.objects.exists()
    topic_index.clear_cache()
    monkeypatch.setattr(topic_index, "CACHE_MEMBERS", 1)  # loaded in part from now on
    monkeypatch.setattr(topic_index, "FILL_PAGE", 1)  # one member per page: the paging is exercised
    committed(item("c", STORY + "!!", 40))
    assert topic_of(alpha.org.pk, "c") == topic_of(alpha.org.pk, "a")  # found through the filled rows
    assert MonitoringProfile.objects.get(organization=alpha.org).topic_bands
    members = TopicMember.objects.for_org(alpha.org)
    assert band_rows_of(members) == keys_of_masks(members)
    # later batches write their members' rows as they store them
    committed(
        item("d", OTHER.replace("本当なのかな", "ほんと?"), 30),
        item("e", "サンプル食品の株主優待でお米が届いた。毎年うれしい", 30),
    )
    assert topic_of(alpha.org.pk, "d") == topic_of(alpha.org.pk, "b")
    members = TopicMember.objects.for_org(alpha.org)
    assert members.filter(content_key=Post.objects.get(source_id="e").content_hash).exists()
    assert band_rows_of(members) == keys_of_masks(members)
    # an organisation's rows are filled once: a second fill (a profile re-created, say) rewrites them
    topic_index._fill_bands([alpha.org.pk])
    assert band_rows_of(members) == keys_of_masks(members)


def test_a_fill_rolls_back_with_its_batch(
    alpha: Tenant, committed: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hikeshi.monitoring import series

    committed(item("a", STORY, 60))
    topic_index.clear_cache()
    monkeypatch.setattr(topic_index, "CACHE_MEMBERS", 1)

    def fail(*args: object) -> None:
        raise RuntimeError("database went away")

    real_update_series = series.update_series
    monkeypatch.setattr(series, "update_series", fail)
    committed(item("b", STORY + "!!", 50))  # dead-lettered after its fill: all of it rolled back
    assert not Post.objects.filter(source_id="b").exists()
    assert not TopicBand.objects.exists()
    assert not MonitoringProfile.objects.get(organization=alpha.org).topic_bands
    monkeypatch.setattr(series, "update_series", real_update_series)
    committed(item("b2", STORY + "!!", 40))
    assert topic_of(alpha.org.pk, "b2") == topic_of(alpha.org.pk, "a")
    assert MonitoringProfile.objects.get(organization=alpha.org).topic_bands
    members = TopicMember.objects.for_org(alpha.org)
    assert band_rows_of(members) == keys_of_masks(members)


def test_a_worker_killed_after_a_fill_loses_nothing(
    alpha: Tenant, committed: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    committed(item("a", STORY, 60))
    topic_index.clear_cache()
    monkeypatch.setattr(topic_index, "CACHE_MEMBERS", 1)
    real_save = topics._save

    def killed(*args: object) -> None:
        raise SystemExit("worker killed")  # not an Exception: nothing inside the pipeline catches it

    monkeypatch.setattr(topics, "_save", killed)  # after the fill, before the batch's members are written
    with pytest.raises(SystemExit):
        committed(item("b", STORY + "!!", 50))
    assert not TopicBand.objects.exists()
    assert not MonitoringProfile.objects.get(organization=alpha.org).topic_bands
    monkeypatch.setattr(topics, "_save", real_save)
    committed(item("b", STORY + "!!", 50))  # the batch delivered again
    assert topic_of(alpha.org.pk, "b") == topic_of(alpha.org.pk, "a")
    assert Topic.objects.get(pk=topic_of(alpha.org.pk, "a")).post_count == 2
    members = TopicMember.objects.for_org(alpha.org)
    assert band_rows_of(members) == keys_of_masks(members)


def test_deleting_topics_removes_their_index_rows(alpha: Tenant, beta: Tenant) -> None:
    """The index rows have no database constraint (migration 0009): deletions cascade through the ORM."""
    with_band_rows(alpha, beta)
    process_items(
        [item("a", STORY, 60), item("b", "今日はサンプル食品の新商品を買った", 50)], source_key=FEED, now=NOW
    )
    story = Topic.objects.get(pk=topic_of(alpha.org.pk, "a"))
    member_ids = list(TopicMember.objects.filter(topic=story).values_list("pk", flat=True))
    assert TopicBand.objects.filter(member_id__in=member_ids).exists()
    story.delete()
    assert not TopicMember.objects.filter(pk__in=member_ids).exists()
    assert not TopicBand.objects.filter(member_id__in=member_ids).exists()
    assert Mention.objects.get(organization=alpha.org, post__source_id="a").topic_id is None
    beta_members = list(TopicMember.objects.for_org(beta.org).values_list("pk", flat=True))
    assert beta_members
    Topic.objects.for_org(beta.org).delete()
    assert not TopicMember.objects.filter(pk__in=beta_members).exists()
    assert not TopicBand.objects.filter(member_id__in=beta_members).exists()
    assert TopicMember.objects.for_org(alpha.org).exists()  # the other organisation's index stays


def test_band_keys_of_a_batch_are_those_of_each_organisation_and_post() -> None:
    from types import SimpleNamespace

    texts = [STORY, OTHER, STORY + "!!", "短い"]
    posts = [
        SimpleNamespace(pk=i, id=i, content_hash=f"k{i}", text=t, origin="x", reply_to="")
        for i, t in enumerate(texts)
    ]
    shapes = topics.shapes_of(posts)  # type: ignore[arg-type]
    ordered = {7: posts[:3], 2**40: posts}
    rows = topics._key_rows(ordered, shapes)  # type: ignore[arg-type]
    for org_id, org_posts in ordered.items():
        for post, keys in zip(org_posts, rows[org_id], strict=True):
            signature = shapes[post.pk].signature
            assert keys == ([] if signature is None else topics.band_keys(org_id, signature))
    assert rows[7][0] != rows[2**40][0] and rows[7][0] and not rows[2**40][3]
