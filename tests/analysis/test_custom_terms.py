"""Per-organisation vocabulary: confidential words, famous customers, the organisation's own names."""

from __future__ import annotations

import pytest

from hikeshi.analysis import Analyzer, CustomTerms


def test_custom_terms_is_hashable_and_validated() -> None:
    terms = CustomTerms(confidential=("Falcon",), vip_names=("大谷翔平",))
    assert hash(terms) == hash(CustomTerms(confidential=("Falcon",), vip_names=("大谷翔平",)))
    with pytest.raises(TypeError):
        CustomTerms(confidential="Falcon")  # type: ignore[arg-type]
    assert CustomTerms().is_empty()


def test_confidential_code_name(analyzer: Analyzer) -> None:
    custom = CustomTerms(confidential=("Falcon",))
    text = "ＦＡＬＣＯＮの発売日もう決まったらしい"
    without = analyzer.analyze_one(text)
    with_terms = analyzer.analyze_one(text, custom=custom)
    assert without.category("confidential_leak") is None
    category = with_terms.category("confidential_leak")
    assert category is not None and with_terms.level in ("high", "critical")
    assert "ＦＡＬＣＯＮ" in {e.text for e in category.evidence}


def test_vip_visit(analyzer: Analyzer) -> None:
    custom = CustomTerms(vip_names=("山本選手",))
    judgement = analyzer.analyze_one("今日山本選手が来店してた！", custom=custom)
    assert judgement.categories[0].code == "customer_privacy"
    assert judgement.level == "critical"
    assert any(p.type == "person_name" and p.text == "山本選手" for p in judgement.pii)


def test_own_name_raises_a_complaint(analyzer: Analyzer) -> None:
    text = "ハヤテ電機の掃除機、一週間で壊れた"
    plain = analyzer.analyze_one(text)
    named = analyzer.analyze_one(text, custom=CustomTerms(own_names=("ハヤテ電機",)))
    assert named.risk > plain.risk
    category = named.category("complaint_quality")
    assert category is not None and "ハヤテ電機" in {e.text for e in category.evidence}


def test_batch_with_ids_and_custom(analyzer: Analyzer) -> None:
    custom = CustomTerms(confidential=("Falcon",))
    out = analyzer.analyze(["falcon見た", "こんにちは"], ids=["a", None], custom=custom)
    assert [j.id for j in out] == ["a", None]
    assert out[0].category("confidential_leak") is not None and out[1].level == "none"
