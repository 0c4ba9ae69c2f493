"""Only posts some organisation wants are judged by the engine (``monitoring.judging``); a post stored
unjudged is judged before anything gives it a mention."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from hikeshi.monitoring import judging
from hikeshi.monitoring.models import Mention, Post
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import NOW, item, sample_rule
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

FEED = "rss:https://feed.example/judging"
NOBODY = "駅前のラーメン屋で異物混入、店員の対応も最悪だった"
"""Risky words, but no organisation's name: no rule of the fixtures matches."""


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts the engine is given through ``judging``."""
    texts: list[str] = []
    real = judging.get_analyzer

    class Recording:
        def analyze(self, batch: list[str], **options: Any) -> Any:
            texts.extend(batch)
            return real().analyze(batch, **options)

    monkeypatch.setattr(judging, "get_analyzer", Recording)
    yield texts


def stored(source_id: str) -> Post:
    return Post.objects.get(source_key=FEED, source_id=source_id)


def test_a_post_that_concerns_nobody_is_stored_unjudged(alpha: Tenant, analysed: list[str]) -> None:
    complaint = "サンプル食品の弁当に異物が入ってた"
    process_items([item("1", NOBODY), item("2", complaint)], source_key=FEED, now=NOW)
    assert analysed == [complaint]
    assert (stored("1").judgement, stored("1").level) == ({}, "none")
    assert stored("2").judgement["level"] == stored("2").level != "none"
    assert not Mention.objects.filter(post=stored("1")).exists()


def test_a_stored_unjudged_post_is_judged_before_a_later_rule_gives_it_a_mention(
    alpha: Tenant, analysed: list[str]
) -> None:
    text = "ラーメン大将の弁当に異物が入ってた。最悪"
    process_items([item("1", text)], source_key=FEED, now=NOW)
    assert stored("1").judgement == {}
    sample_rule(alpha.org, name="ラーメン大将")
    process_items([item("1", text)], source_key=FEED, now=NOW)  # the feed gives the item again
    post = stored("1")
    assert analysed == [text]
    assert post.judgement["level"] == post.level != "none"
    mention = Mention.objects.get(post=post, organization=alpha.org)
    assert (mention.risk, mention.level) == (post.risk, post.level)


def test_a_reply_that_names_nobody_is_judged_when_it_is_stored(alpha: Tenant, analysed: list[str]) -> None:
    story = "サンプル食品の弁当にビニール片が入ってた"
    reaction = "これはひどい、二度と買わない"
    process_items(
        [item("story", story, 30), replace(item("r", reaction, 20), reply_to="story")],
        source_key=FEED,
        now=NOW,
    )
    assert sorted(analysed) == sorted([story, reaction])
    mention = Mention.objects.get(post=stored("r"), organization=alpha.org)
    assert mention.level == stored("r").level
    assert stored("r").judgement


def test_a_copy_of_an_unjudged_post_is_judged_itself(alpha: Tenant, analysed: list[str]) -> None:
    process_items([item("1", NOBODY)], source_key=FEED, now=NOW)
    sample_rule(alpha.org, name="ラーメン屋")
    process_items([item("2", NOBODY)], source_key="rss:https://matome.example/feed", now=NOW)
    copy = Post.objects.get(source_id="2")
    assert copy.copy_of_id == stored("1").pk  # still linked to the first post of its content
    assert analysed == [NOBODY]
    assert copy.judgement and Mention.objects.get(post=copy).level == copy.level


def test_a_copy_of_a_judged_post_takes_its_judgement(alpha: Tenant, analysed: list[str]) -> None:
    text = "サンプル食品の弁当に髪の毛が入ってた"
    process_items([item("1", text)], source_key=FEED, now=NOW)
    process_items([item("2", text)], source_key="rss:https://matome.example/feed", now=NOW)
    assert analysed == [text]
    assert Post.objects.get(source_id="2").judgement == stored("1").judgement


def test_pushed_posts_are_judged_whatever_they_say(alpha: Tenant, analysed: list[str]) -> None:
    process_items([item("1", NOBODY)], source_key="push:alpha", owner=alpha.org, now=NOW)
    assert analysed == [NOBODY]
    assert Mention.objects.get(post__source_id="1", organization=alpha.org).level != "none"
