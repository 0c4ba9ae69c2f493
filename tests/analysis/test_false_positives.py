"""The classic traps: negation, campaigns against a wrong, news, fiction, quoting someone else."""

from __future__ import annotations

import pytest

from hikeshi.analysis import Analyzer

SAFE = [
    "飲酒運転撲滅キャンペーンに参加",
    "20歳になったので初めてのビール",
    "公式サイトで新商品を発表しました",
    "飲酒運転は絶対しない、代行を呼んだ",
    "お酒を飲んだので運転はしませんでした",
    "ニュースで飲酒運転の容疑者が逮捕されたって",
    "ドラマで主人公が万引きするシーンがあった",
    "今日は公園を散歩した",
    "新しいカフェのパンケーキ美味しかった",
    "買ったばかりのお皿がかわいい",
    "店長が差し入れくれた、優しい",
    "冷蔵庫の中の食材で夕飯を作った",
    "台風が来るので早めに帰ります",
    "#交通安全 飲酒運転は犯罪です。ハンドルキーパー運動にご協力を",
]


@pytest.mark.parametrize("text", SAFE)
def test_benign_post_stays_none_or_low(analyzer: Analyzer, text: str) -> None:
    judgement = analyzer.analyze_one(text)
    assert judgement.level in ("none", "low"), judgement.to_json()


def test_negation_lowers_but_keeps_confession_distinct(analyzer: Analyzer) -> None:
    confessed = analyzer.analyze_one("飲んで運転して帰った")
    denied = analyzer.analyze_one("飲んで運転はしない")
    assert confessed.level in ("high", "critical")
    assert denied.risk < confessed.risk / 2


def test_suppressed_finding_is_explained(analyzer: Analyzer) -> None:
    judgement = analyzer.analyze_one("飲酒運転撲滅キャンペーンに参加")
    assert judgement.level == "none"
    assert "防止・啓発" in judgement.explanation
