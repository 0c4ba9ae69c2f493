"""The topic index's counters on the profile row (``index_counts``): kept with the members, read instead
of an aggregate over them, and not trusted beyond a cache check."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Max, Min
from django.test.utils import CaptureQueriesContext

from hikeshi.monitoring import topic_index, topics
from hikeshi.monitoring.models import Mention, MonitoringProfile, TopicMember
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import NOW, item
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

FEED = "push:index-counts"
STORY = "サンプル食品の幕の内弁当にビニール片が入ってた。異物混入ってありえない、返金してほしい"


def counters(org_id: int) -> tuple[int, int, object]:
    profile = MonitoringProfile.objects.get(organization_id=org_id)
    return profile.index_members, profile.index_max_id, profile.index_oldest


def from_members(org_id: int) -> tuple[int, int, object]:
    found = TopicMember.objects.filter(organization_id=org_id).aggregate(
        n=Count("id"), top=Max("id"), old=Min("seen")
    )
    return found["n"], found["top"] or 0, found["old"]


def test_the_counters_follow_the_members_through_batches_and_a_prune(alpha: Tenant, beta: Tenant) -> None:
    process_items(
        [item("a", STORY, 60), item("b", "サンプル食品の新商品おいしかった", 50)], source_key=FEED, now=NOW
    )
    process_items(
        [item("c", STORY + "!!", 40), item("d", "サンプル食品のおにぎり最高", 30)], source_key=FEED, now=NOW
    )
    for tenant in (alpha, beta):
        assert counters(tenant.org.pk) == from_members(tenant.org.pk)
        assert counters(tenant.org.pk)[0] >= 3
    later = NOW + topics.INDEX_MEMORY + timedelta(minutes=45)  # the first members are forgotten
    process_items(
        [replace(item("e", "サンプル食品の店員さん親切"), published=later)], source_key=FEED, now=later
    )
    for tenant in (alpha, beta):
        assert counters(tenant.org.pk) == from_members(tenant.org.pk)
    assert not TopicMember.objects.filter(seen__lt=later - topics.INDEX_MEMORY).exists()


def test_a_batch_reads_the_counters_not_an_aggregate_over_the_members(alpha: Tenant) -> None:
    process_items([item("a", STORY, 60)], source_key=FEED, now=NOW)
    with CaptureQueriesContext(connection) as queries:
        process_items([item("b", "サンプル食品の新商品おいしかった", 50)], source_key=FEED, now=NOW)
    member_aggregates = [
        q["sql"] for q in queries if "monitoring_topicmember" in q["sql"] and "COUNT(" in q["sql"].upper()
    ]
    assert member_aggregates == []


def test_wrong_counters_cost_a_reload_never_a_missed_topic(alpha: Tenant) -> None:
    process_items([item("a", STORY, 60)], source_key=FEED, now=NOW)
    MonitoringProfile.objects.filter(organization_id=alpha.org.pk).update(index_members=0, index_max_id=0)
    topic_index.clear_cache()
    process_items([item("b", STORY.replace("ありえない", "ありえん"), 50)], source_key=FEED, now=NOW)
    assert Mention.objects.get(organization=alpha.org, post__source_id="b").topic_id == (
        Mention.objects.get(organization=alpha.org, post__source_id="a").topic_id
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_counters_from_the_members() -> None:
    from datetime import UTC, datetime

    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("monitoring", "0014_post_reply_to_index")],
        [("monitoring", "0015_profile_index_counts")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    org = apps.get_model("tenancy", "Organization").objects.create(slug="counts", name="数え")
    empty = apps.get_model("tenancy", "Organization").objects.create(slug="empty", name="空")
    post = apps.get_model("monitoring", "Post").objects.create(
        source_key="push:counts", source_id="1", text="異物", published_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    seen = datetime(2026, 3, 1, 9, tzinfo=UTC)
    topic = apps.get_model("monitoring", "Topic").objects.create(
        organization=org, key="t", first_post=post, post_count=1, first_seen=seen, last_activity=seen
    )
    member = apps.get_model("monitoring", "TopicMember")
    ids = [
        member.objects.create(
            organization_id=org.pk, topic_id=topic.pk, content_key=k, seen=seen + timedelta(hours=h)
        ).pk
        for k, h in (("a", 2), ("b", 0), ("c", 1))
    ]
    for organization in (org, empty):
        apps.get_model("monitoring", "MonitoringProfile").objects.create(organization=organization)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    assert counters(org.pk) == (3, max(ids), seen)
    assert counters(empty.pk) == (0, 0, None)
