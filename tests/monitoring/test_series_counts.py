"""The series buckets the pipeline writes (``series.update_series``, counted by the database) equal the
counts recomputed here from the stored mentions, for every series: the organisation, each rule, each
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
    # a later batch adds to the same buckets (recounted, not added to) and repeats a post
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
