from __future__ import annotations

import gc
from datetime import timedelta

import pytest

from hikeshi.monitoring import judging, pipeline
from hikeshi.monitoring.models import DeadLetter, Mention, Post, SeriesBucket, Topic
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import NOW, item
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

COMPLAINT = "サンプル食品の弁当にビニール片が入ってた。異物混入ってありえない"


FEED = "rss:https://feed.example/a"


def test_variants_match_and_post_is_stored_once_for_two_orgs(alpha: Tenant, beta: Tenant) -> None:
    # alpha and beta both watch サンプル食品 (tests/monitoring/tenancy_params.py), excluding 求人.
    items = [
        item("1", "ｻﾝﾌﾟﾙ食品の新作おいしい"),
        item("2", "さんぷる食品のお弁当買った"),
        item("3", "今日はいい天気"),
        item("4", "サンプル食品 求人 募集中"),
    ]
    result = process_items(items, source_key=FEED, now=NOW)
    assert result.count("accepted") == 4
    assert Post.objects.filter(source_key=FEED).count() == 4
    mentions = Mention.objects.filter(post__source_key=FEED)
    assert set(mentions.filter(organization=alpha.org).values_list("post__source_id", flat=True)) == {
        "1",
        "2",
    }
    assert mentions.filter(organization=beta.org).count() == 2


def test_rerunning_a_batch_duplicates_nothing(alpha: Tenant) -> None:
    items = [item(str(i), f"{COMPLAINT} その{i}", minutes_ago=i, reposts=i) for i in range(8)]
    process_items(items, source_key=FEED, now=NOW)

    def snapshot() -> tuple[object, ...]:
        return (
            Post.objects.filter(source_key=FEED).count(),
            Mention.objects.filter(post__source_key=FEED).count(),
            list(
                SeriesBucket.objects.filter(
                    organization=alpha.org, bucket_start__lte=NOW, bucket_start__gte=NOW - timedelta(hours=1)
                )
                .order_by("series", "bucket_start")
                .values_list("series", "bucket_start", "mentions", "negative", "reposts")
            ),
            list(Topic.objects.order_by("key").values_list("key", "post_count")),
        )

    before = snapshot()
    again = process_items(items, source_key=FEED, now=NOW)
    assert again.count("duplicate") == 8 and again.mentions_created == 0
    assert snapshot() == before
    assert before[0] == 8 and sum(b[2] for b in before[2] if b[0] == "org") == 8


def test_copies_join_one_topic_and_reuse_the_judgement(alpha: Tenant) -> None:
    process_items([item("a", COMPLAINT, 30)], source_key="rss:https://x.example/feed", now=NOW)
    process_items(
        [item("b", f"【悲報】{COMPLAINT}", 20), item("c", f"RT @someone: {COMPLAINT}", 10)],
        source_key="rss:https://matome.example/feed",
        now=NOW,
    )
    original = Post.objects.get(source_id="a")
    copies = Post.objects.filter(source_id__in=["b", "c"])
    assert all(c.copy_of_id == original.pk and c.risk == original.risk for c in copies)
    topic = Topic.objects.for_org(alpha.org).get(first_post=original)
    assert topic.post_count == 3
    topics = Mention.objects.filter(post__source_id__in=["a", "b", "c"], organization=alpha.org)
    assert set(topics.values_list("topic_id", flat=True)) == {topic.pk}


def test_engagement_is_refreshed_when_the_source_reports_it_again(alpha: Tenant) -> None:
    process_items([item("1", COMPLAINT, reposts=3)], source_key="rss:https://x.example/f", now=NOW)
    process_items(
        [item("1", COMPLAINT, reposts=250, likes=900)], source_key="rss:https://x.example/f", now=NOW
    )
    post = Post.objects.get(source_key="rss:https://x.example/f")
    assert (post.reposts, post.likes) == (250, 900)


def test_owner_items_stay_with_the_owner_and_bad_items_go_to_dead_letters(
    alpha: Tenant, beta: Tenant
) -> None:
    result = process_items(
        [item("1", "サンプル食品の話"), item("2", "   ")],
        source_key="push:alpha:api",
        owner=alpha.org,
        now=NOW,
    )
    assert {o.source_id: o.status for o in result.outcomes} == {"1": "accepted", "2": "error"}
    pushed = Mention.objects.filter(post__source_key="push:alpha:api")
    assert pushed.filter(organization=alpha.org).count() == 1
    assert not pushed.filter(organization=beta.org).exists()
    letter = DeadLetter.objects.for_org(alpha.org).get(payload__source_key="push:alpha:api")
    assert letter.stage == "normalise" and "no text" in letter.error


def test_a_failing_item_is_dead_lettered_and_the_rest_are_stored(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hikeshi.monitoring import pipeline

    real = pipeline._new_post

    def explode_on_bad(it, source_key):  # type: ignore[no-untyped-def]
        if it.source_id == "bad":
            raise RuntimeError("disk on fire")
        return real(it, source_key)

    monkeypatch.setattr(pipeline, "_new_post", explode_on_bad)
    DeadLetter.objects.all().delete()
    result = process_items(
        [item("ok1", COMPLAINT), item("bad", COMPLAINT + "!"), item("ok2", "サンプル食品うまい")],
        source_key="push:x",
        owner=alpha.org,
        now=NOW,
    )
    assert sorted(o.status for o in result.outcomes) == ["accepted", "accepted", "error"]
    assert set(Post.objects.filter(source_key="push:x").values_list("source_id", flat=True)) == {"ok1", "ok2"}
    letter = DeadLetter.objects.get(payload__source_key="push:x")
    assert letter.stage == "store" and "disk on fire" in letter.error

    monkeypatch.setattr(pipeline, "_new_post", real)
    from hikeshi.monitoring.actions import do_retry_dead_letter

    assert do_retry_dead_letter(letter)
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    assert Post.objects.filter(source_id="bad").exists()


def test_a_new_post_sets_every_column_of_the_model() -> None:
    """_new_post bypasses Model.__init__: a column added to Post later must be set there too (an
    unset one would be fetched from the database when the batch is inserted)."""
    from hikeshi.monitoring.pipeline import _new_post

    post = _new_post(item("x", COMPLAINT), FEED)
    assert {f.attname for f in Post._meta.concrete_fields} <= post.__dict__.keys()
    assert post._state.adding and post.pk is None


def test_the_benchmark_checks_topic_and_bucket_counts(alpha: Tenant) -> None:
    from hikeshi.monitoring.bench import _check_counts

    process_items([item(str(i), f"{COMPLAINT} その{i}", 20 - i) for i in range(4)], source_key=FEED, now=NOW)
    assert _check_counts() == []
    Topic.objects.filter(organization=alpha.org).update(post_count=99)
    SeriesBucket.objects.filter(organization=alpha.org, series="org").update(mentions=0)
    problems = _check_counts()
    assert any(p.startswith("topic ") for p in problems)
    assert any(p.startswith(f"organisation {alpha.org.pk}:") for p in problems)


@pytest.mark.parametrize(
    "text", [COMPLAINT, "【悲報】 " + COMPLAINT + " https://x.example/1", "。。。", "ｻﾝﾌﾟﾙ食品"]
)
def test_the_stored_content_hash_is_the_dedup_content_key(text: str) -> None:
    from hikeshi.ingest.dedup import content_form, content_key
    from hikeshi.monitoring.pipeline import _new_post

    post = _new_post(item("x", text), FEED)
    assert post.content_hash == (content_key(text) or "")
    assert post._content_form == content_form(text)  # type: ignore[attr-defined]


def test_the_heap_is_frozen_once_before_the_batch_after_the_engine_loaded(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "_heap_frozen", False)
    monkeypatch.setattr(judging, "analyzer_used", False)
    monkeypatch.setattr(pipeline, "FREEZE_HEAP", True)
    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(f"collect{args}") or 0)
    process_items([item("f1", f"{COMPLAINT} 1")], source_key=FEED, now=NOW)
    assert calls == []  # the engine was not loaded through the pipeline before this batch
    process_items([item("f1", f"{COMPLAINT} 1")], source_key=FEED, now=NOW)  # a duplicate: nothing analysed
    assert calls == ["collect(1,)", "freeze"]  # the young generations first, not a full collection
    process_items([item("f2", f"{COMPLAINT} 2")], source_key=FEED, now=NOW)
    assert calls == ["collect(1,)", "freeze"]  # once per process
    assert Mention.objects.filter(post__source_key=FEED).count() == 2


def test_nul_and_lone_surrogates_in_any_field_do_not_fail_the_batch(alpha: Tenant) -> None:
    """A JSON push or a broken feed can carry ``"\\ud800"`` or NUL in any field; no database stores them
    as text. They used to fail the whole batch's insert (then the item, and on PostgreSQL its dead
    letter too)."""
    from dataclasses import replace

    items = [
        item("1", "サンプル食品の弁当\x00に髪の毛"),
        item("2", "サンプル食品\ud800の弁当"),
        replace(item("3\udc80", "サンプル食品まずい"), author="a\x00b", title="t\udc80", reply_to="\x00"),
        item("4", "サンプル食品おいしい"),
    ]
    result = process_items(items, source_key=FEED, now=NOW)
    assert [outcome.status for outcome in result.outcomes] == ["accepted"] * 4
    stored = {post.source_id: post for post in Post.objects.filter(source_key=FEED)}
    assert stored["1"].text == "サンプル食品の弁当に髪の毛"
    assert stored["2"].text == "サンプル食品\ufffdの弁当"
    assert (stored["3\ufffd"].author, stored["3\ufffd"].title, stored["3\ufffd"].reply_to) == (
        "ab",
        "t\ufffd",
        "",
    )
    assert Mention.objects.filter(post__source_key=FEED, organization=alpha.org).count() == 4


def test_items_are_bounded_before_storing() -> None:
    """What ``_normalised`` changes: a post from the future is dated now, texts and names are cut to
    their columns, a reply to itself links to nothing; an item within every bound is kept as it is."""
    from dataclasses import replace

    from hikeshi.monitoring.pipeline import MAX_FUTURE, MAX_TEXT_CHARS, _normalised

    ordinary = item("1", "  サンプル食品の新作おいしい")
    kept = _normalised(replace(ordinary, text="サンプル食品の新作おいしい"), NOW)
    assert _normalised(kept, NOW) is kept
    assert _normalised(ordinary, NOW).text == "サンプル食品の新作おいしい"
    future = replace(ordinary, published=NOW + MAX_FUTURE + timedelta(minutes=1))
    assert _normalised(future, NOW).published == NOW
    long = replace(ordinary, text="炎" * (MAX_TEXT_CHARS + 5), author="a" * 400, title="t" * 600)
    bounded = _normalised(long, NOW)
    assert (len(bounded.text), len(bounded.author or ""), len(bounded.title)) == (MAX_TEXT_CHARS, 300, 500)
    assert _normalised(replace(ordinary, reply_to="1"), NOW).reply_to is None
    assert _normalised(replace(ordinary, reply_to="0"), NOW).reply_to == "0"
    with pytest.raises(ValueError, match="no text"):
        _normalised(replace(ordinary, text=" \n"), NOW)
