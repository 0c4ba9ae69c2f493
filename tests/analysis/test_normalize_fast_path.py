"""The one-to-one shortcut of normalisation's first stage must give what the stage itself gives."""

from __future__ import annotations

import random

from hikeshi.analysis.normalize import _FOLD_TABLE, _one_to_one, _run_pattern, _stage_width, normalize


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
    for text in ("セール で 服", "ｶﾞｲﾄﾞ", "確定…", "e\u0301", "ゼロ\u200b幅", "全角\u3000空白"):
        assert pattern.search(text) is not None, text
