from __future__ import annotations

import random

import pytest

from hikeshi.ingest.normalize import normalize, normalize_with_offsets


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("サンプル食品", "ｻﾝﾌﾟﾙ食品"),
        ("サンプル食品", "さんぷる食品"),
        ("サンプル食品", "サ ン プ ル　食品"),
        ("サンプル食品", "サンプル・食品"),
        ("キヤノン", "キャノン"),
        ("ラーメン", "ラ〜メン"),
        ("ラーメン", "ラーーーメン"),
        ("ラーメン", "ﾗｰﾒﾝ"),
        ("Sample Foods", "ＳＡＭＰＬＥ　ｆｏｏｄｓ"),
        ("バイトテロ", "ﾊﾞｲﾄﾃﾛ"),
        ("ゼロ\u200bトラスト", "ゼロトラスト"),
    ],
)
def test_spelling_variants_meet(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


def test_distinct_words_stay_distinct() -> None:
    assert normalize("ビル") != normalize("ビール")
    assert normalize("東京") != normalize("京都")


TRICKY = [
    "ｻﾝﾌﾟﾙ食品の弁当ｶﾞ",
    "Ｆｕｌｌ　ｗｉｄｔｈ ＡＢＣ①",
    "ラ〜メン〜〜ー",
    "e\u0301 cafe\u0301 ﾊﾟ",
    "ΑΣ ς İstanbul ß",
    "㈱サンプル ㍻",
    "\u200b\u00ad見えない\ufeff",
    "",
    "ー〜ー",
]


@pytest.mark.parametrize("text", TRICKY)
def test_offset_map_agrees_with_the_fast_path(text: str) -> None:
    fast = normalize(text)
    mapped, offsets = normalize_with_offsets(text)
    assert mapped == fast
    assert len(offsets) == len(mapped)
    for start, end in offsets:
        assert 0 <= start < end <= len(text)


def test_offset_map_agrees_on_random_japanese_text() -> None:
    rng = random.Random(7)
    alphabet = "サンプルｻﾝﾌﾟﾙさんぷる食品ーｰ〜～ ・　ﾞﾟABCａｂｃ12①キャャッ\u200b"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert normalize_with_offsets(text)[0] == normalize(text), text


def test_idempotent() -> None:
    for text in TRICKY:
        assert normalize(normalize(text)) == normalize(text)
