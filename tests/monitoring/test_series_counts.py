"""The series buckets the pipeline writes (``monitoring.buckets``: what each batch's new mentions add)
equal the counts recomputed here from the stored mentions, for every series: the organisation, each rule, each
topic — distinct posts, posts with a negative mention, their reposts once per post and their distinct
non-empty authors. Runs on SQLite and, with ``HIKESHI_DATABASE_URL`` set, on PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest

from hikeshi.ingest.items import Engagement, IngestedItem
from hikeshi.monitoring.models import Mention, SeriesBucket, SeriesState
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import NOW, sample_rule
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

FEED = "rss:https://feed.example/series"
COMPLAINT = "サンプル食品の弁当にビニール片が入ってた。異物混入ってありえない"
PRAISE = "サンプル食品の新作おいしかった、また買いたい"


def expected_buckets(org_id: int) -> dict[tuple[str, datetime], tuple[int, int, int, int]]:
    """(series, bucket start) → (posts, negative posts, reposts, authors), from the mentions."""
    posts: dict[tuple[str, datetime], dict[int, tuple[bool, int, str]]] = defaultdict(dict)
    rows = Mention.objects.filter(organization_id=org_id).values_list(
        "post_id", "rule_id", "topic_id", "bucket_start", "negative", "post__reposts", "post__author"
    )
    for post_id, rule_id, topic_id, start, negative, reposts, author in rows:
        keys = ["org"]
        if rule_id is not None:
            keys.append(f"rule:{rule_id}")
        if topic_id is not None:
            keys.append(f"topic:{topic_id}")
        for key in keys:
            earlier = posts[(key, start)].get(post_id, (False, 0, ""))
            posts[(key, start)][post_id] = (earlier[0] or negative, reposts or 0, author)
    return {
        key: (
            len(found),
            sum(1 for negative, _r, _a in found.values() if negative),
            sum(reposts for _n, reposts, _a in found.values()),
            len({author for _n, _r, author in found.values() if author}),
        )
        for key, found in posts.items()
    }


def stored_buckets(org_id: int) -> dict[tuple[str, datetime], tuple[int, int, int, int]]:
    rows = SeriesBucket.objects.filter(organization_id=org_id).values_list(
        "series", "bucket_start", "mentions", "negative", "reposts", "authors"
    )
    return {(series, start): tuple(counts) for series, start, *counts in rows}  # type: ignore[misc]


def authored(source_id: str, text: str, minutes_ago: int, author: str, **engagement: Any) -> IngestedItem:
    return IngestedItem(
        source_id=source_id,
        text=text,
        author=author,
        published=NOW - timedelta(minutes=minutes_ago),
        engagement=Engagement(**engagement),
    )


def test_buckets_of_every_series_match_the_mentions(alpha: Tenant, beta: Tenant) -> None:
    second_rule = sample_rule(alpha.org, name="ビニール片")  # a second rule: a post mentions alpha twice
    first = [
        authored("1", f"{COMPLAINT} その1", 2, "same", reposts=5),
        authored("2", f"{COMPLAINT} その2", 3, "same", reposts=7),
        authored("3", f"{PRAISE} その3", 4, "", reposts=1),
        authored("4", f"{PRAISE} その4", 12, "other"),
    ]
    process_items(first, source_key=FEED, now=NOW)
    # a later batch adds to the same buckets and repeats a post
    second = [
        authored("5", f"{COMPLAINT} その5", 1, "third", reposts=2),
        authored("1", f"{COMPLAINT} その1", 2, "same", reposts=5),
    ]
    process_items(second, source_key=FEED, now=NOW)
    for org_id in (alpha.org.pk, beta.org.pk):
        expected = expected_buckets(org_id)
        assert stored_buckets(org_id) == expected
        series = {key for key, _start in expected}
        assert any(key.startswith("topic:") for key in series) and any(
            key.startswith("rule:") for key in series
        )
        pending = set(
            SeriesState.objects.filter(organization_id=org_id, pending=True).values_list("series", flat=True)
        )
        assert pending == series
    alpha_series = {key for key, _start in expected_buckets(alpha.org.pk)}
    assert f"rule:{second_rule.pk}" in alpha_series
    # the complaints match both of alpha's rules: two mentions, one post in the "org" series
    start = NOW - timedelta(minutes=5)
    mentions = Mention.objects.filter(organization_id=alpha.org.pk, bucket_start=start).count()
    posts, negative, reposts, authors = stored_buckets(alpha.org.pk)[("org", start)]
    assert (posts, negative, reposts, authors) == (4, 3, 5 + 7 + 1 + 2, 2) and mentions > posts


def test_a_batch_adds_to_its_buckets_without_reading_their_mentions(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keeps a firestorm's batches cheap: a bucket with thousands of mentions is not read again
    by every batch that adds to it."""
    from hikeshi.monitoring import buckets

    process_items(
        [authored(str(i), f"{COMPLAINT} その{i}", 2, f"u{i % 3}") for i in range(6)], source_key=FEED, now=NOW
    )

    def refused(*args: Any) -> Any:
        raise AssertionError("a bucket was recounted from its mentions")

    monkeypatch.setattr(buckets, "_recounted", refused)
    process_items(
        [authored(str(i), f"{COMPLAINT} その{i}", 3, f"u{i % 4}") for i in range(6, 12)],
        source_key=FEED,
        now=NOW,
    )
    assert stored_buckets(alpha.org.pk) == expected_buckets(alpha.org.pk)
    assert stored_buckets(alpha.org.pk)[("org", NOW - timedelta(minutes=5))][3] == 4  # u0 … u3


def test_a_rule_added_later_does_not_count_a_post_twice(alpha: Tenant) -> None:
    items = [authored(str(i), f"{COMPLAINT} その{i}", 2, "same") for i in range(3)]
    process_items(items, source_key=FEED, now=NOW)
    sample_rule(alpha.org, name="ビニール片")
    process_items(items, source_key=FEED, now=NOW)  # delivered again: the new rule's mentions only
    assert Mention.objects.filter(organization=alpha.org, post__source_key=FEED).count() == 6
    stored = stored_buckets(alpha.org.pk)
    assert stored == expected_buckets(alpha.org.pk)
    assert stored[("org", NOW - timedelta(minutes=5))][0] == 3


def test_a_bucket_stored_before_author_keys_is_recounted_when_next_touched(alpha: Tenant) -> None:
    process_items(
        [authored("1", f"{COMPLAINT} その1", 2, "a"), authored("2", PRAISE, 3, "b")], source_key=FEED, now=NOW
    )
    start = NOW - timedelta(minutes=5)
    legacy = SeriesBucket.objects.filter(
        organization=alpha.org, bucket_start=start, series__in=["org", f"rule:{alpha.extra['rule'].pk}"]
    )
    assert legacy.update(author_keys=None, authors=0, mentions=9) == 2
    process_items([authored("3", f"{COMPLAINT} その3", 1, "c")], source_key=FEED, now=NOW)
    stored = stored_buckets(alpha.org.pk)
    assert stored == expected_buckets(alpha.org.pk)
    assert stored[("org", start)][::3] == (3, 3)  # posts, authors
    assert not SeriesBucket.objects.filter(organization=alpha.org, author_keys__isnull=True).exists()


def test_author_keys_merge_the_same_on_both_paths() -> None:
    """Small stored sets merge through a Python set, large ones through numpy: the same sorted bytes."""
    from array import array

    from hikeshi.monitoring import buckets

    for stored_count in (0, 3, buckets._SMALL, buckets._SMALL + 1, 5_000):
        stored = sorted({buckets.author_key(f"user{i}") for i in range(stored_count)})
        added = {buckets.author_key(f"user{i}") for i in range(stored_count - 2, stored_count + 7)}
        merged = buckets._merged(array("Q", stored).tobytes(), added)
        assert list(array("Q", merged)) == sorted(set(stored) | added)
    assert buckets._merged(b"", set()) == b""


def test_stored_buckets_are_read_by_their_whole_key(alpha: Tenant) -> None:
    """A batch reads the buckets it adds to through the unique (organisation, series, start) index,
    whatever else the organisation has stored: a read by organisation and start alone used the
    index's first column and grew with the organisation's history."""
    from django.db import connection

    from hikeshi.monitoring import buckets

    start = NOW - timedelta(minutes=5)
    SeriesBucket.objects.bulk_create(
        [
            SeriesBucket(organization=alpha.org, series=f"topic:{i}", bucket_start=start - timedelta(days=i))
            for i in range(1, 200)
        ]
    )
    SeriesBucket.objects.create(organization=alpha.org, series="org", bucket_start=start, mentions=4)
    captured: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        captured.append((sql, params))
        return execute(sql, params, many, context)

    keys = [(alpha.org.pk, "org", start), (alpha.org.pk, "rule:999", start)]
    with connection.execute_wrapper(capture):
        found = buckets._stored_buckets(keys)
    assert list(found) == [(alpha.org.pk, "org", start)] and found[keys[0]][0] == 4
    ((sql, params),) = captured
    explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    if connection.vendor == "postgresql":
        assert "using bucket_once" in plan and "(bucket_start = w.t)" in plan, plan
    else:
        assert "organization_id=? AND series=? AND bucket_start=?" in plan, plan
