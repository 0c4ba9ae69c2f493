"""Replies, quotes and comments join the topic of the post they answer (``IngestedItem.reply_to``)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.test import Client

from hikeshi.ingest.files import parse_import
from hikeshi.monitoring import topic_index
from hikeshi.monitoring.models import Mention, Post, Topic, TopicMember
from hikeshi.monitoring.pipeline import item_from_dict, process_items
from tests.monitoring.helpers import NOW, item
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

STORY = "サンプル食品の幕の内弁当にビニール片が入ってた。異物混入ってありえない"
REACTION = "これはひどい。サンプル食品もう買わない"
FEED = "push:replies"


def reply(source_id: str, text: str, to: str, minutes_ago: int) -> object:
    return replace(item(source_id, text, minutes_ago), reply_to=to)


def topic_of(tenant: Tenant, source_id: str) -> int | None:
    return Mention.objects.get(organization=tenant.org, post__source_id=source_id).topic_id


def test_a_reply_in_the_same_batch_joins_the_story_though_it_shares_no_words(alpha: Tenant) -> None:
    process_items(
        [item("story", STORY, 30), reply("r1", REACTION, "story", 20), item("other", REACTION, 10)],
        source_key=FEED,
        now=NOW,
    )
    story = topic_of(alpha, "story")
    assert topic_of(alpha, "r1") == story
    # a post with the reply's words that replies to nothing joins by content: the reply is a member
    assert topic_of(alpha, "other") == story
    assert Topic.objects.get(pk=story).post_count == 3
    assert Post.objects.get(source_id="r1").reply_to == "story"


def test_a_reply_in_a_later_batch_joins_the_stored_topic_in_every_organisation(
    alpha: Tenant, beta: Tenant
) -> None:
    process_items([item("story", STORY, 30)], source_key=FEED, now=NOW)
    topic_index.clear_cache()  # the parent is found in the tables, not in a worker's memory
    process_items([reply("r1", REACTION, "story", 5)], source_key=FEED, now=NOW)
    for tenant in (alpha, beta):
        assert topic_of(tenant, "r1") == topic_of(tenant, "story")
        assert Topic.objects.get(pk=topic_of(tenant, "story")).post_count == 2


def test_a_reply_to_an_unknown_or_unmentioned_post_is_grouped_as_any_post(alpha: Tenant) -> None:
    process_items(
        [
            item("weather", "今日はいい天気", 40),  # stored, mentions no organisation
            reply("r1", REACTION, "weather", 30),
            reply("r2", "サンプル食品のお弁当、今日もおいしかった", "never-seen", 20),
        ],
        source_key=FEED,
        now=NOW,
    )
    assert topic_of(alpha, "r1") != topic_of(alpha, "r2")
    assert Topic.objects.get(pk=topic_of(alpha, "r1")).first_post.source_id == "r1"


def test_a_reply_is_linked_within_its_own_source_only(alpha: Tenant) -> None:
    process_items([item("1", STORY, 30)], source_key="push:one", now=NOW)
    process_items([reply("2", REACTION, "1", 10)], source_key="push:two", now=NOW)
    assert topic_of(alpha, "2") != topic_of(alpha, "1")


def test_a_reply_whose_words_are_another_topics_member_joins_its_parent_and_adds_no_member(
    alpha: Tenant,
) -> None:
    process_items([item("first", REACTION, 60), item("story", STORY, 50)], source_key=FEED, now=NOW)
    assert topic_of(alpha, "first") != topic_of(alpha, "story")
    process_items([reply("r1", REACTION, "story", 10)], source_key=FEED, now=NOW)
    assert topic_of(alpha, "r1") == topic_of(alpha, "story")
    assert TopicMember.objects.for_org(alpha.org).count() == 3  # two here, and the fixture's post


def test_rerunning_a_batch_of_replies_grows_nothing_twice(alpha: Tenant) -> None:
    batch = [item("story", STORY, 30), reply("r1", REACTION, "story", 20), reply("r2", "最悪", "story", 10)]
    process_items(batch, source_key=FEED, now=NOW)
    before = Mention.objects.filter(organization=alpha.org).count()
    again = process_items(batch, source_key=FEED, now=NOW)
    assert again.mentions_created == 0 and Mention.objects.filter(organization=alpha.org).count() == before
    assert Topic.objects.get(pk=topic_of(alpha, "story")).post_count == 3


def test_a_reply_that_names_nobody_concerns_the_organisations_its_parent_concerns(
    alpha: Tenant, beta: Tenant
) -> None:
    """「最悪」 under the story names no client: it follows the story's mentions, with their rules."""
    process_items([item("story", STORY, 60), item("weather", "今日はいい天気", 50)], source_key=FEED, now=NOW)
    process_items(
        [
            reply("r1", "最悪", "story", 40),  # parent stored in an earlier batch
            reply("r2", "それな", "r1", 30),  # a reply to that reply, in the same batch
            reply("r3", "晴れてよかった", "weather", 20),  # the parent concerns nobody
        ],
        source_key=FEED,
        now=NOW,
    )
    for tenant in (alpha, beta):
        story = Mention.objects.get(organization=tenant.org, post__source_id="story")
        for source_id in ("r1", "r2"):
            followed = Mention.objects.get(organization=tenant.org, post__source_id=source_id)
            assert (followed.rule_id, followed.topic_id) == (story.rule_id, story.topic_id)
        assert Topic.objects.get(pk=story.topic_id).post_count == 3
    assert not Mention.objects.filter(post__source_id="r3").exists()


def test_a_reply_to_a_pushed_post_stays_with_the_owner(alpha: Tenant, beta: Tenant) -> None:
    process_items([item("story", STORY, 30)], source_key="push:alpha-crawler", owner=alpha.org, now=NOW)
    process_items(
        [reply("r1", "最悪", "story", 10)], source_key="push:alpha-crawler", owner=alpha.org, now=NOW
    )
    assert topic_of(alpha, "r1") == topic_of(alpha, "story")
    assert not Mention.objects.filter(organization=beta.org, post__source_id="r1").exists()


def test_a_parent_found_through_a_partial_load(alpha: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    process_items(
        [item("story", STORY, 30), item("x", "サンプル食品の新商品を買った", 25)], source_key=FEED, now=NOW
    )
    topic_index.clear_cache()
    monkeypatch.setattr(topic_index, "CACHE_MEMBERS", 1)  # too many members to read whole
    process_items([reply("r1", REACTION, "story", 5)], source_key=FEED, now=NOW)
    assert topic_of(alpha, "r1") == topic_of(alpha, "story")


def test_reply_to_comes_from_imports_pushes_and_dead_letters(alpha: Tenant) -> None:
    csv = "id,本文,返信先\n1,サンプル食品の弁当に異物,\n2,これはひどい,1\n".encode()
    rows = parse_import(csv, "export.csv").items
    assert [r.reply_to for r in rows] == [None, "1"]
    jsonl = b'{"id": "a", "text": "x", "in_reply_to_status_id": 12345}\n'
    assert parse_import(jsonl, "x.jsonl").items[0].reply_to == "12345"
    too_long = ('{"text": "x", "reply_to": "' + "9" * 1001 + '"}\n').encode()
    assert "reply_to is 1001 characters" in parse_import(too_long, "x.jsonl").errors[0].message
    assert item_from_dict(replace(rows[1], source_id="2").to_dict()).reply_to == "1"

    client = Client()
    headers = {"Authorization": f"Bearer {alpha.token_secret}"}
    body = {
        "source": "crawler",
        "posts": [
            {"id": "p1", "text": STORY},
            {"id": "p2", "text": REACTION, "reply_to": "p1"},
            {"id": "p3", "text": REACTION, "reply_to": "p3"},  # itself: links to nothing
        ],
    }
    response = client.post("/api/v1/ingest", data=body, content_type="application/json", headers=headers)
    assert response.json()["accepted"] == 3
    assert topic_of(alpha, "p2") == topic_of(alpha, "p1")
    assert Post.objects.get(source_id="p3").reply_to == ""
    listed = client.get("/api/v1/orgs/alpha/monitoring/posts", headers=headers).json()
    assert {p["text"][:5]: p["reply_to"] for p in listed if p["reply_to"]} == {REACTION[:5]: "p1"}


def test_the_reply_column_kept_the_search_index_in_step() -> None:
    """Migration 0012 adds its column in place: Django's way on SQLite rebuilds the table, which drops the
    full-text search triggers of 0002 (new posts would then never be found)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the full-text triggers exist on SQLite only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'monitoring_post'"
        )
        triggers = {name for (name,) in cursor.fetchall()}
    assert {
        "monitoring_post_fts_insert",
        "monitoring_post_fts_delete",
        "monitoring_post_fts_update",
    } <= triggers


def test_the_post_page_links_the_post_replied_to_when_the_organisation_sees_it(
    alpha: Tenant, beta: Tenant
) -> None:
    process_items([item("story", STORY, 30)], source_key=FEED, owner=alpha.org, now=NOW)
    process_items(
        [reply("r1", REACTION, "story", 20), reply("r2", REACTION + "!", "gone", 10)],
        source_key=FEED,
        now=NOW,
    )
    client = Client()
    client.force_login(alpha.admin)
    parent = Post.objects.get(source_id="story")
    for source_id, expected in (
        ("r1", f"/o/alpha/monitoring/posts/{parent.pk}/"),
        ("r2", "未取得または対象外の投稿"),
    ):
        post = Post.objects.get(source_id=source_id)
        body = client.get(f"/o/alpha/monitoring/posts/{post.pk}/").content.decode()
        assert 'data-testid="reply-to"' in body and expected in body
    topic_page = client.get(f"/o/alpha/monitoring/topics/{topic_of(alpha, 'r1')}/").content.decode()
    assert "· 返信" in topic_page  # the reply is marked in the topic's list of posts
    # beta sees the reply but not the story it answers (alpha's own push): no link to it
    client.force_login(beta.admin)
    reply_id = Post.objects.get(source_id="r1").pk
    body = client.get(f"/o/beta/monitoring/posts/{reply_id}/").content.decode()
    assert f"/posts/{parent.pk}/" not in body and "未取得または対象外の投稿" in body


def test_replies_that_arrived_before_their_parent_follow_it_when_it_arrives(
    alpha: Tenant, beta: Tenant
) -> None:
    """A crawler that collected the replies first: 「最悪」 names nobody and is stored with no mention;
    the batch that brings the story gives it the story's mentions and topic in every organisation."""
    from django.db.models import Sum

    from hikeshi.monitoring.models import SeriesBucket

    process_items(
        [reply("r1", "最悪", "story", 20), reply("r2", "これはひどい", "story", 10)], source_key=FEED, now=NOW
    )
    assert not Mention.objects.filter(post__source_id__in=["r1", "r2"]).exists()
    topic_index.clear_cache()
    result = process_items([item("story", STORY, 30)], source_key=FEED, now=NOW)
    assert result.mentions_created == 6  # the story and its two replies, in both organisations
    for tenant in (alpha, beta):
        story = topic_of(tenant, "story")
        assert topic_of(tenant, "r1") == story and topic_of(tenant, "r2") == story
        assert Topic.objects.get(pk=story).post_count == 3
        stored = Mention.objects.filter(organization=tenant.org)
        counted = SeriesBucket.objects.filter(organization=tenant.org, series="org").aggregate(
            n=Sum("mentions")
        )
        assert counted["n"] == stored.values("post_id").distinct().count()
    again = process_items([item("story", STORY, 30)], source_key=FEED, now=NOW)
    assert again.mentions_created == 0  # the parent delivered again: nothing twice


def test_an_early_reply_keeps_its_own_mention_and_follows_its_parent_elsewhere(
    alpha: Tenant, beta: Tenant
) -> None:
    """A reply that named a client itself keeps that mention (and its topic) there; in the other
    organisations its parent concerns it follows the parent."""
    from hikeshi.monitoring.actions import do_add_watch_rule

    do_add_watch_rule(alpha.org, name="アルファ", terms=[{"name": "アルファ株式会社", "variants": []}])
    process_items([reply("r1", "アルファ株式会社の対応も最悪だった", "story", 10)], source_key=FEED, now=NOW)
    own = Mention.objects.get(organization=alpha.org, post__source_id="r1")
    assert not Mention.objects.filter(organization=beta.org, post__source_id="r1").exists()
    process_items([item("story", STORY, 30)], source_key=FEED, now=NOW)
    assert list(Mention.objects.filter(organization=alpha.org, post__source_id="r1")) == [own]
    assert topic_of(beta, "r1") == topic_of(beta, "story")


def test_an_early_reply_delivered_again_with_its_parent_is_taken_in_once(alpha: Tenant) -> None:
    process_items([reply("r1", "最悪", "story", 20)], source_key=FEED, now=NOW)
    result = process_items(
        [item("story", STORY, 30), reply("r1", "最悪", "story", 20)], source_key=FEED, now=NOW
    )
    assert result.mentions_created == 2  # the story and the reply, once each
    assert topic_of(alpha, "r1") == topic_of(alpha, "story")


def test_a_parent_from_another_source_takes_in_no_early_reply(alpha: Tenant) -> None:
    process_items([reply("r1", "最悪", "story", 20)], source_key="push:elsewhere", now=NOW)
    result = process_items([item("story", STORY, 30)], source_key=FEED, now=NOW)
    assert result.mentions_created == 1
    assert not Mention.objects.filter(post__source_id="r1").exists()
