"""The one-to-one shortcut of normalisation's first stage must give what the stage itself gives."""

from __future__ import annotations

import random

from hikeshi.analysis.normalize import (
    _FOLD_TABLE,
    _one_to_one,
    _run_pattern,
    _spaces_kept,
    _stage_width,
    normalize,
)


def _by_stage(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Stage one run the long way, with where each character of its output comes from."""
    first = _run_pattern().search(text)
    assert first is not None
    out, offsets = _stage_width(text, first)
    return out, [(offsets.start(i), offsets.end(i + 1)) for i in range(len(out))]


def _one_to_one_characters() -> list[str]:
    table = _one_to_one()[0]
    return [chr(cp) for cp in table if cp not in _FOLD_TABLE or _run_pattern().fullmatch(chr(cp))]


def test_every_one_to_one_character_alone_and_in_text() -> None:
    table, others = _one_to_one()
    for ch in _one_to_one_characters():
        for text in (ch, f"今日{ch}", f"{ch}{ch}a", f"A{ch}か"):
            assert others.search(text) is None
            expected, sources = _by_stage(text)
            assert text.translate(table) == expected, ascii(text)
            assert sources == [(i, i + 1) for i in range(len(text))], ascii(text)
    assert normalize("最高！ｗ").text == "最高!w"
    assert normalize("最高！ｗ").maps == ()


def test_random_posts_of_one_to_one_characters() -> None:
    rng = random.Random(29)
    pool = _one_to_one_characters()[:400] + list("今日はいい天気だ。炎上ABCxyz!?、123○")
    for _ in range(3_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 20)))
        if _run_pattern().search(text) is None:
            continue
        expected, sources = _by_stage(text)
        assert text.translate(_one_to_one()[0]) == expected, ascii(text)
        assert sources == [(i, i + 1) for i in range(len(text))], ascii(text)


def test_texts_with_spaces_combining_marks_or_expansions_take_the_stage() -> None:
    pattern = _one_to_one()[1]
    for text in ("ｶﾞｲﾄﾞ", "確定…", "e\u0301", "ゼロ\u200b幅", "全角\u3000空白", "改行\nあり"):
        assert pattern.search(text) is not None, text
    table = _one_to_one()[0]
    assert not _spaces_kept("セール で 服", table)  # between word characters: removed
    assert not _spaces_kept("two  spaces", table)  # a run becomes one
    assert _spaces_kept("美味しい #1 ok", table)


def _always_by_stage(text: str) -> tuple[str, list[tuple[int, int]]]:
    """normalize() without the shortcut (stage one always run as a stage): its text and each output
    character's source."""
    from hikeshi.analysis.normalize import OffsetMap, _later_stages

    maps: list[OffsetMap] = []
    first = _run_pattern().search(text)
    if first is None:
        current = text.translate(_FOLD_TABLE)
    else:
        current, offsets = _stage_width(text, first)
        maps.append(offsets)
    reference = _later_stages(text, current, maps)
    return reference.text, [reference.span(i, i + 1) for i in range(len(reference.text))]


def test_lone_ascii_spaces_take_the_shortcut_with_the_same_result() -> None:
    rng = random.Random(1129)
    pool = [
        " ",
        " ",
        "  ",
        "#",
        "1",
        "a",
        "Ａ",
        "！",
        "ｗ",
        "今日",
        "は",
        "死",
        "ね",
        "店長",
        "、",
        "。",
        "@",
        "x",
        "\u3000",
    ]
    shortcut_taken = 0
    for _ in range(5_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 12)))
        result = normalize(text)
        expected, sources = _always_by_stage(text)
        assert result.text == expected, ascii(text)
        assert [result.span(i, i + 1) for i in range(len(result.text))] == sources, ascii(text)
        shortcut_taken += result.maps == ()
    assert shortcut_taken > 500  # the shortcut is exercised, not only the stage
    assert normalize("死 ね").text == "死ね"  # between two word characters: still removed
    assert normalize("美味しい #1").maps == ()


def _span(match: object) -> tuple[int, int] | None:
    return None if match is None else match.span()  # type: ignore[attr-defined]


def test_the_cheap_run_test_finds_what_the_run_search_finds() -> None:
    from hikeshi.analysis.normalize import _first_run
    from hikeshi.analysis.unicode_tables import nfkc_changing_code_points

    run = _run_pattern()
    # Every character stage one rewrites, alone and among others: the cheap test must never say "none".
    for cp in nfkc_changing_code_points():
        ch = chr(cp)
        if not run.fullmatch(ch):
            continue
        for text in (ch, f"今日{ch}", f"{ch}は", f"a{ch}b", f"か{ch}"):
            assert _span(_first_run(text)) == _span(run.search(text)), ascii(text)
    for text in (
        "普通の投稿です",
        "死 ね",
        "ゼロ\u200b幅",
        "x\u0301",
        "改行\nあり",
        "タブ\tあり",
        "か\u3099",
    ):
        assert _span(_first_run(text)) == _span(run.search(text)), ascii(text)
    rng = random.Random(1130)
    pool = [*"今日はいい天気だ。炎上ABCxyz!?、123○ \n\t", "ｗ", "！", "…", "ﾊﾞ", "\u3000", "\u200b", "\u0301"]
    pool += ["\u3099", "㈱", "é", "e", "😋", "ｶ"]
    for _ in range(5_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))
        assert _span(_first_run(text)) == _span(run.search(text)), ascii(text)


def test_the_later_stages_prechecks_miss_nothing() -> None:
    from hikeshi.analysis.normalize import _ANY_SEPARATOR, _ANY_TRIPLE, _REPEAT, _SPACED_HINT

    rng = random.Random(2911)
    pool = [*"ばかしね・.,_-/|ああ000ｗw!ー〜 ", "死", "ね"]
    for _ in range(5_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 10)))
        if _SPACED_HINT.search(text) is not None:
            assert _ANY_SEPARATOR.search(text) is not None, text
        if _REPEAT.search(text) is not None:
            assert _ANY_TRIPLE.search(text) is not None, text
