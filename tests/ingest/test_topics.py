from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hikeshi.ingest.topics import TopicIndex, TopicParams

T0 = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)
SPARK = "サンプル食品の工場で働いてるけど、床に落ちた具材をそのまま使ってるのを毎日見てる"
SPREAD = [
    ("x", f"RT @worker: {SPARK}"),
    ("x", f"「引用」{SPARK} これはひどい"),
    ("matome", f"【悲報】{SPARK} https://matome.example/1"),
    ("5ch", "サンプル食品の工場で働いてるけど、床に落ちた具材をそのまま使ってるのを毎日見てるらしい"),
    ("x", "サンプル食品の工場で働いてるけど床に落ちた具材をそのまま使ってるの毎日見てる"),
]
UNRELATED = [
    "今日は雨なので家で映画を見る予定です。ポップコーンも買ってきた",
    "見本学園の文化祭、今年は模擬店が多くて楽しかった",
    "駅前の新しいラーメン屋、スープが濃厚で最高だった",
]


def test_a_spreading_story_is_one_topic_with_first_post_growth_and_sources() -> None:
    index = TopicIndex()
    first = index.add("x", "1", SPARK, T0)
    assert first.new_topic
    for offset, (source, text) in enumerate(SPREAD, start=1):
        assignment = index.add(source, str(offset + 1), text, T0 + timedelta(minutes=40 * offset))
        assert assignment.topic_id == first.topic_id, text
        assert not assignment.new_topic
    others = [index.add("x", f"u{i}", text, T0) for i, text in enumerate(UNRELATED)]
    assert all(a.new_topic for a in others)
    assert len({a.topic_id for a in others}) == len(UNRELATED)
    topic = index.topics[first.topic_id]
    assert (topic.first_source, topic.first_source_id, topic.first_text) == ("x", "1", SPARK)
    assert topic.size == 1 + len(SPREAD)
    assert topic.sources == {"x": 4, "matome": 1, "5ch": 1}
    assert topic.hourly == {"2024-01-02T12": 2, "2024-01-02T13": 1, "2024-01-02T14": 2, "2024-01-02T15": 1}
    assert topic.last_seen == T0 + timedelta(minutes=200)


def test_short_posts_group_only_by_exact_content() -> None:
    index = TopicIndex()
    a = index.add("x", "1", "草", T0)
    b = index.add("x", "2", "RT @a: 草", T0)
    c = index.add("x", "3", "草生える", T0)
    assert a.topic_id == b.topic_id != c.topic_id


def test_state_round_trips_through_json() -> None:
    index = TopicIndex()
    first = index.add("x", "1", SPARK, T0)
    index.add("x", "u", UNRELATED[0], T0)
    restored = TopicIndex.from_state(json.loads(json.dumps(index.to_state())))
    assert restored.add("5ch", "9", SPREAD[3][1], T0).topic_id == first.topic_id
    assert restored.topics[first.topic_id].size == 2


def test_prune_forgets_old_posts_but_keeps_topics() -> None:
    index = TopicIndex()
    old = index.add("x", "1", SPARK, T0)
    assert index.prune(T0 + timedelta(days=8)) == 1
    assert old.topic_id in index.topics
    assert index.add("x", "2", SPREAD[3][1], T0 + timedelta(days=9)).new_topic


def test_signatures_are_deterministic_across_instances() -> None:
    assert (TopicIndex().signature("abcdefgh") == TopicIndex().signature("abcdefgh")).all()


def test_bad_params() -> None:
    with pytest.raises(ValueError, match="multiple"):
        TopicParams(num_perm=10, bands=3)


def test_batch_signatures_equal_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from hikeshi.ingest import topics

    index = TopicIndex()
    forms = [SPARK, *(text for _source, text in SPREAD), *UNRELATED, "", "あ", SPARK * 40]
    one_by_one = [index.signature(form) for form in forms]
    for chunk in (topics._CHUNK_SHINGLES, 7):  # also in many small chunks
        monkeypatch.setattr(topics, "_CHUNK_SHINGLES", chunk)
        batch = index.signatures(forms)
        assert batch.shape == (len(forms), index.params.num_perm)
        assert all((row == single).all() for row, single in zip(batch, one_by_one, strict=True))
    assert index.signatures([]).shape == (0, index.params.num_perm)


def test_batch_signatures_equal_one_by_one_for_every_length() -> None:
    """Forms of every length from 1 to 300 characters (so shingle counts fall in many padded widths,
    some shared, some with one form) and repeated shingles within a form."""
    import random

    rng = random.Random(3)
    index = TopicIndex()
    forms = ["".join(rng.choice("炎上火消しあいうabc") for _ in range(length)) for length in range(1, 301)]
    rng.shuffle(forms)
    batch = index.signatures(forms)
    for row, form in zip(batch, forms, strict=True):
        assert (row == index.signature(form)).all(), form
