"""The topic index kept in tables: grouping across batches, per-organisation keys, pruning, bounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from hikeshi.monitoring import topics
from hikeshi.monitoring.models import Mention, Post, Topic, TopicBand, TopicMember
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import NOW, item
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

STORY = "サンプル食品の幕の内弁当にビニール片が入ってた。異物混入ってありえない、返金してほしい"
FEED = "rss:https://feed.example/topics"


def topic_of(org_id: int, source_id: str) -> int | None:
    return Mention.objects.get(organization_id=org_id, post__source_id=source_id).topic_id


def test_a_rewrite_in_a_later_batch_joins_the_stored_topic(alpha: Tenant) -> None:
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
