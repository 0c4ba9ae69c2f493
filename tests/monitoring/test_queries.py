"""Query counts of every monitoring page, pinned, and the same with 3 items shown as with 30: no page may
grow an N+1 (a query per post, mention, topic, rule, source or dead letter it lists).

When a page legitimately needs one more query, change its number here — on purpose, in review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hikeshi.ingest.items import Engagement, IngestedItem
from hikeshi.monitoring.actions import do_add_source, do_add_watch_rule
from hikeshi.monitoring.models import DeadLetter, Mention, PostFeedback, SeriesState, Source, Topic, WatchRule
from hikeshi.monitoring.pipeline import process_items
from hikeshi.monitoring.views_feed import encode_key
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

BASE = "/o/alpha/monitoring/"
# Session, user, 2FA check, organisation, membership and the navigation's organisation list are the
# shell's (5 + 1 for the list); the rest is each page's own.
PINNED = {
    "dashboard": 10,
    "feed": 8,
    "feed level": 8,
    "feed source": 8,
    "feed rule": 8,
    "feed period": 8,
    "feed category": 9,  # + the scan window's edge
    # + the match list; SQLite: ids, then rows (views_feed.driven_page); PostgreSQL: the rows
    "feed search": 10 if connection.vendor == "sqlite" else 9,
    "feed search short": 9,  # + the scan window's edge
    "feed older": 8,
    "post": 8,
    "topic": 9,
    "rules": 8,
    "sources": 7,
    "dead letters": 7,
}


def _story(start: int, count: int) -> list[IngestedItem]:
    """Posts of one spreading story (near-duplicates: one topic) and as many unrelated mentions."""
    now = timezone.now()
    items = []
    for i in range(start, start + count):
        items.append(
            IngestedItem(
                source_id=f"story-{i}",
                text=f"サンプル食品の幕の内弁当にビニール片が入ってた。拡散希望 #{i}",
                author=f"user{i}",
                published=now - timedelta(minutes=2 * count - i),
                engagement=Engagement(reposts=i, likes=2 * i),
            )
        )
        items.append(
            IngestedItem(
                source_id=f"other-{i}",
                text=f"サンプル食品の{['のり弁', 'おにぎり', 'プリン'][i % 3]}、今日もおいしかった {i}日目の感想",
                author=f"fan{i}",
                published=now - timedelta(hours=i),
            )
        )
    return items


def _grow(tenant: Tenant, start: int, count: int) -> None:
    org = tenant.org
    source = Source.objects.for_org(org).get(kind="rss")
    process_items(_story(start, count), source_key=source.source_key, source=source)
    for i in range(start, start + count):
        do_add_watch_rule(
            org, name=f"ルール{i}", terms=[{"name": f"監視語{i}", "variants": [f"かんしご{i}"]}]
        )
        do_add_source(org, kind="page", url=f"https://board.example/thread/{i}", recipe="thread")
        DeadLetter.objects.create(organization=org, stage="store", payload={"n": i}, error=f"壊れた投稿 {i}")
        SeriesState.objects.create(
            organization=org, series=f"rule:{9000 + i}", level=1, explanation=f"増加 {i}"
        )
        post_id = (
            Mention.objects.for_org(org)
            .filter(post__source_id=f"story-{i}")
            .values_list("post", flat=True)[0]
        )
        PostFeedback.objects.create(organization=org, post_id=post_id, user=tenant.admin, verdict="risky")


def _urls(tenant: Tenant) -> dict[str, str]:
    org = tenant.org
    story = Mention.objects.for_org(org).filter(post__source_id="story-0").get()
    topic = Topic.objects.for_org(org).order_by("-post_count").first()
    assert topic is not None
    newest = Mention.objects.for_org(org).order_by("-posted_at", "-id")[1]
    return {
        "dashboard": BASE,
        "feed": BASE + "posts/",
        "feed level": BASE + f"posts/?level={story.level}",
        "feed source": BASE + f"posts/?source={story.source_id}",
        "feed rule": BASE + f"posts/?rule={story.rule_id}",
        "feed period": BASE + "posts/?period=7d",
        "feed category": BASE + "posts/?category=safety_incident",
        "feed search": BASE + "posts/?q=ビニール片",
        "feed search short": BASE + "posts/?q=拡散",
        "feed older": BASE + "posts/?before=" + encode_key(newest.posted_at, newest.pk),
        "post": BASE + f"posts/{story.post_id}/",
        "topic": BASE + f"topics/{topic.pk}/",
        "rules": BASE + "rules/",
        "sources": BASE + "sources/",
        "dead letters": BASE + "dead-letters/",
    }


def _counts(client: Client, urls: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    counts, bodies = {}, {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url)
        counts[name] = len(queries.captured_queries)
        bodies[name] = response.content.decode()
    return counts, bodies


def test_every_page_has_the_same_pinned_query_count_with_3_or_30_items(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.member)
    client.get(BASE)  # the first request of a session also writes the session (not the page's)
    _grow(alpha, 0, 3)
    few, few_bodies = _counts(client, _urls(alpha))
    _grow(alpha, 3, 27)
    many, many_bodies = _counts(client, _urls(alpha))
    # The pages really list more the second time (otherwise equal counts would prove nothing).
    assert many_bodies["feed"].count("拡散希望") > few_bodies["feed"].count("拡散希望") >= 3
    assert many_bodies["feed search"].count("拡散希望") >= 30
    assert many_bodies["topic"].count("拡散希望") > few_bodies["topic"].count("拡散希望")
    assert many_bodies["rules"].count("ルール") >= 30 and many_bodies["sources"].count("board.example") >= 30
    assert many_bodies["dead letters"].count("壊れた投稿") >= 30
    assert many_bodies["dashboard"].count("増加") > few_bodies["dashboard"].count("増加")
    assert few == many, {name: (few[name], many[name]) for name in few if few[name] != many[name]}
    assert many == PINNED
    assert WatchRule.objects.for_org(alpha.org).count() >= 30
