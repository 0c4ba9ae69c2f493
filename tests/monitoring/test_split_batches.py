"""A batch stored as in production on PostgreSQL: the posts in one transaction, then the mentions in one
transaction per group of organisations (``pipeline._store_mentions_by_organisation``). Run on SQLite
with the split forced (its write transaction is the lock) and on PostgreSQL with SKIP LOCKED."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Count, Sum

from hikeshi.monitoring import pipeline, topic_index
from hikeshi.monitoring.models import Mention, Post, SeriesBucket, Topic
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import NOW, item
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

FEED = "rss:https://feed.example/split"
ITEMS = [item(f"s{i}", f"サンプル食品の弁当に髪の毛が入ってた その{i}", minutes_ago=i) for i in range(6)]


@pytest.fixture
def groups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[set[int]]]:
    """Split forced, two groups; yields the organisations of each group transaction, in order."""
    monkeypatch.setattr(pipeline, "SPLIT_BY_ORGANISATION", True)
    monkeypatch.setattr(pipeline, "ORG_GROUPS", 2)
    seen: list[set[int]] = []
    real = pipeline.store_mentions

    def recording(plan: Any, profiles: dict[int, Any], source: Any) -> Any:
        seen.append(set(profiles))
        return real(plan, profiles, source)

    monkeypatch.setattr(pipeline, "store_mentions", recording)
    topic_index.clear_cache()
    yield seen
    topic_index.clear_cache()


def stored(org_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per organisation: mentions of the feed, their topics' post counts, its ``org`` bucket total."""
    result = {}
    for org_id in org_ids:
        mentions = Mention.objects.filter(organization_id=org_id, post__source_key=FEED)
        topics = Topic.objects.filter(pk__in=mentions.values("topic_id")).aggregate(n=Sum("post_count"))["n"]
        buckets = SeriesBucket.objects.filter(organization_id=org_id, series="org").aggregate(
            n=Sum("mentions")
        )
        result[org_id] = (mentions.count(), topics or 0, buckets["n"] or 0)
    return result


def assert_no_mention_twice() -> None:
    twice = (
        Mention.objects.filter(post__source_key=FEED)
        .values("post_id", "organization_id", "rule_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not twice.exists()


def test_each_group_of_organisations_commits_on_its_own_and_a_rerun_adds_nothing(
    alpha: Tenant, beta: Tenant, groups: list[set[int]]
) -> None:
    orgs = sorted([alpha.org.pk, beta.org.pk])
    before = stored(orgs)
    result = process_items(ITEMS, source_key=FEED, now=NOW)
    assert groups == [{orgs[0]}, {orgs[1]}]  # the lower id first, one organisation per transaction
    assert result.count("accepted") == 6 and result.posts_created == 6
    assert result.mentions_created == 12 and result.organizations == set(orgs)
    after = stored(orgs)
    assert all(after[o][0] == before[o][0] + 6 and after[o][1] == after[o][0] for o in orgs)
    assert all(after[o][2] == before[o][2] + 6 for o in orgs)

    again = process_items(ITEMS, source_key=FEED, now=NOW)
    assert again.count("duplicate") == 6 and again.mentions_created == 0
    assert stored(orgs) == after


def test_a_worker_killed_between_groups_loses_nothing(
    alpha: Tenant, beta: Tenant, groups: list[set[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    orgs = sorted([alpha.org.pk, beta.org.pk])
    before = stored(orgs)
    real = pipeline.store_mentions

    def die_in_second(plan: Any, profiles: dict[int, Any], source: Any) -> Any:
        if orgs[1] in profiles:
            raise SystemExit("worker killed")  # not an Exception: nothing inside the pipeline catches it
        return real(plan, profiles, source)

    monkeypatch.setattr(pipeline, "store_mentions", die_in_second)
    with pytest.raises(SystemExit):
        process_items(ITEMS, source_key=FEED, now=NOW)
    assert Post.objects.filter(source_key=FEED).count() == 6
    half = stored(orgs)
    assert half[orgs[0]][0] == before[orgs[0]][0] + 6 and half[orgs[1]] == before[orgs[1]]

    monkeypatch.setattr(pipeline, "store_mentions", real)  # the redelivered batch
    again = process_items(ITEMS, source_key=FEED, now=NOW)
    assert again.count("duplicate") == 6 and again.mentions_created == 6
    after = stored(orgs)
    assert after[orgs[0]] == half[orgs[0]]
    assert after[orgs[1]][0] == before[orgs[1]][0] + 6 and after[orgs[1]][2] == before[orgs[1]][2] + 6
    assert_no_mention_twice()


def test_a_failing_group_is_retried_item_by_item_and_the_outcomes_stay_accepted(
    alpha: Tenant, beta: Tenant, groups: list[set[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    orgs = sorted([alpha.org.pk, beta.org.pk])
    before = stored(orgs)
    real = pipeline.store_mentions
    calls: list[int] = []

    def fail_once(plan: Any, profiles: dict[int, Any], source: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("a passing problem")
        return real(plan, profiles, source)

    monkeypatch.setattr(pipeline, "store_mentions", fail_once)
    result = process_items(ITEMS, source_key=FEED, now=NOW)
    assert result.count("accepted") == 6 and result.posts_created == 6
    assert result.mentions_created == 12
    after = stored(orgs)
    assert all(after[o][0] == before[o][0] + 6 and after[o][2] == before[o][2] + 6 for o in orgs)


def test_locked_profiles_are_read_whole_and_their_words_judge_the_mentions(
    alpha: Tenant, beta: Tenant, groups: list[set[int]]
) -> None:
    """``lock_free_profiles`` reads the profiles with plain SQL: the organisation's words (JSON lists)
    come back as lists and re-judge its mentions, as with the ORM."""
    from hikeshi.monitoring.mentions import lock_free_profiles
    from hikeshi.monitoring.models import MonitoringProfile, profile_for

    profile = profile_for(alpha.org)
    profile.confidential_terms = ["プロジェクト黒潮"]
    profile.save()
    profile_for(beta.org)
    locked = lock_free_profiles(sorted([alpha.org.pk, beta.org.pk]), 5)
    assert set(locked) == {alpha.org.pk, beta.org.pk}
    assert (
        locked[alpha.org.pk].confidential_terms == ["プロジェクト黒潮"]
        and locked[beta.org.pk].vip_names == []
    )
    assert all(isinstance(p, MonitoringProfile) and not p._state.adding for p in locked.values())
    assert lock_free_profiles(sorted([alpha.org.pk, beta.org.pk]), 1).keys() == {
        min(alpha.org.pk, beta.org.pk)
    }

    leak = item("leak", "サンプル食品の新商品はプロジェクト黒潮って名前らしい、来月発売")
    process_items([leak], source_key=FEED, now=NOW)
    own = Mention.objects.get(post__source_id="leak", organization=alpha.org)
    other = Mention.objects.get(post__source_id="leak", organization=beta.org)
    assert own.judgement is not None and other.judgement is None  # only alpha's words found the leak


def test_the_collector_stays_paused_for_the_whole_batch(
    alpha: Tenant, groups: list[set[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Split into a posts' and a mentions' part (as on PostgreSQL), the batch is still one pause: a
    # collection between the parts would scan all of the batch's objects, alive.
    seen: list[bool] = []
    store_posts, split_mentions = pipeline._store_posts, pipeline._split_mentions

    def posts(*args: object) -> object:
        seen.append(gc.isenabled())
        return store_posts(*args)  # type: ignore[arg-type]

    def mentions(*args: object) -> None:
        seen.append(gc.isenabled())
        split_mentions(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_store_posts", posts)
    monkeypatch.setattr(pipeline, "_split_mentions", mentions)
    assert gc.isenabled()
    result = process_items([item("g1", "サンプル食品の弁当に髪の毛が入ってた g")], source_key=FEED)
    assert seen == [False, False] and gc.isenabled()
    assert result.mentions_created == 1


def test_a_second_delivery_storing_the_new_posts_mentions_first_duplicates_nothing(
    alpha: Tenant, beta: Tenant, groups: list[set[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch does not look up stored mentions for the posts it inserted itself. If another worker,
    given the same items again, stores their mentions between this batch's posts and its groups, the
    unique constraints fail the group and its items are retried one by one, as stored posts."""
    import threading

    from django.db import connection

    orgs = sorted([alpha.org.pk, beta.org.pk])
    before = stored(orgs)
    real_plan = pipeline.plan_mentions
    other: list[Any] = []
    started: list[bool] = []

    def plan_after_the_other_worker(*args: Any, **kwargs: Any) -> Any:
        if not started:  # the other worker's own batch plans through here too
            started.append(True)

            def second_delivery() -> None:
                try:
                    other.append(process_items(ITEMS, source_key=FEED, now=NOW))
                finally:
                    connection.close()

            worker = threading.Thread(target=second_delivery)
            worker.start()
            worker.join()
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(pipeline, "plan_mentions", plan_after_the_other_worker)
    result = process_items(ITEMS, source_key=FEED, now=NOW)
    assert other[0].count("duplicate") == 6 and other[0].mentions_created == 12
    assert result.count("accepted") == 6 and result.mentions_created == 0
    after = stored(orgs)
    assert all(after[o][0] == before[o][0] + 6 and after[o][2] == before[o][2] + 6 for o in orgs)
    assert_no_mention_twice()
