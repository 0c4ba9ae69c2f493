"""`hikeshi eval --section robustness`: the rewrites, and the section's figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hikeshi.analysis.evaluate import main
from hikeshi.analysis.robustness import fused_adjectives, rewrites
from hikeshi.analysis.tokenizer import Tokenizer


def test_each_rewrite_changes_only_what_it_names() -> None:
    rewrite = rewrites(Tokenizer())
    confession = "売り物のアイスなめた。バレてないｗ"
    assert rewrite["contracted_past"](confession) == "売り物のアイスなめちゃった。バレてないｗ"
    assert rewrite["past_progressive"]("飲んだ後そのまま運転して帰った") == "飲んだ後そのまま運転して帰ってた"
    assert rewrite["contracted_past"]("酒飲んだ") == "酒飲んじゃった"
    assert rewrite["kana_verbs"]("飲んだ後そのまま運転して帰った") == "のんだ後そのまま運転してかえった"
    assert fused_adjectives("あの客うざい。ほんとひどい") == "あの客うぜー。ほんとひでー"
    for unchanged in ("昨日は楽しかった", "最高だった", "新商品を発表しました", "知らない"):
        assert rewrite["contracted_past"](unchanged) == unchanged
        assert fused_adjectives(unchanged) == unchanged


def test_the_section_compares_rewritten_cases_with_the_cases_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {
            "id": "r1",
            "text": "バイト中に売り物のアイスなめた",
            "category": "misconduct_workplace",
            "risky": True,
        },
        {"id": "b1", "text": "今日は公園を散歩した", "category": None, "risky": False},
        {"id": "b2", "text": "猫がかわいい", "category": None, "risky": False},
    ]
    (tmp_path / "cases.jsonl").write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8"
    )
    assert main(["--section", "robustness", "--cases", str(tmp_path), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["robustness"]["rewrites"]
    contracted = figures["contracted_past"]
    assert (contracted["risky_cases"], contracted["benign_cases"]) == (
        1,
        1,
    )  # 「猫がかわいい」 holds no past form
    assert contracted["risky_found_as_written"] == contracted["risky_found_rewritten"] == 1
    assert contracted["benign_flagged_as_written"] == contracted["benign_flagged_rewritten"] == 0
    assert figures["fused_adjectives"]["risky_cases"] == 0
    assert main(["--section", "robustness", "--cases", str(tmp_path)]) == 0
    assert "contracted_past" in capsys.readouterr().out
