"""Evidence and PII offsets refer to the characters the user wrote, whatever normalisation did."""

from __future__ import annotations

import pytest

from hikeshi.analysis import Analyzer
from hikeshi.analysis.normalize import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｱｲｽﾅﾒﾀﾊﾞｶ", "アイスナメタバカ"),
        ("ＡＢＣ１２３", "abc123"),
        ("死 ね", "死ね"),
        ("ば・か", "ばか"),
        ("すごーーーい！！！", "すごーい!"),
        ("ｗｗｗｗ", "ww"),
        ("a\u200bb", "ab"),
        ("か\u3099", "が"),
        ("東京・大阪", "東京・大阪"),
        ("4111 1111", "4111 1111"),
    ],
)
def test_normalised_text(text: str, expected: str) -> None:
    assert normalize(text).text == expected


@pytest.mark.parametrize(
    "text",
    ["😀🎉ｱｲｽﾅﾒﾀﾊﾞｶｗｗ", "👨‍👩‍👧 ＡＢＣ　ｾﾝﾊﾟｲ 死 ね ", "㍻ｶﾞｷﾞ(ﾟ∀ﾟ)ｷﾀｰｰｰ!!", "plain text"],
)
def test_every_normalised_character_maps_inside_the_original(text: str) -> None:
    norm = normalize(text)
    previous_start = 0
    for index in range(len(norm.text)):
        start, end = norm.span(index, index + 1)
        assert 0 <= start < end <= len(text)
        assert start >= previous_start  # spans advance through the original text
        previous_start = start
    assert norm.span(0, len(norm.text))[0] == 0


def test_evidence_offsets_with_emoji_and_half_width_kana(analyzer: Analyzer) -> None:
    text = "🍦😋売り物のｱｲｽなめてから戻したｗｗｗ🤣"
    judgement = analyzer.analyze_one(text)
    category = judgement.category("misconduct_workplace")
    assert category is not None
    by_text = {e.text: e for e in category.evidence}
    assert "ｱｲｽ" in by_text and "なめて" in by_text
    ice = by_text["ｱｲｽ"]
    assert (ice.start, ice.end) == (text.index("ｱｲｽ"), text.index("ｱｲｽ") + 3)
    assert any(e.text.startswith("ｗ") for e in category.evidence)


def test_evidence_offsets_with_spaced_out_insult(analyzer: Analyzer) -> None:
    text = "あの客、死　ね"
    judgement = analyzer.analyze_one(text)
    category = judgement.category("harassment_abuse")
    assert category is not None
    insult = [e for e in category.evidence if "死" in e.text]
    assert insult and insult[0].text == "死　ね"
    assert text[insult[0].start : insult[0].end] == "死　ね"


def test_pii_offsets_with_full_width_digits_and_emoji(analyzer: Analyzer) -> None:
    text = "📞０９０－１２３４－５６７８ に電話して"
    (phone,) = [p for p in analyzer.analyze_one(text).pii if p.type == "phone"]
    assert (phone.start, phone.end) == (1, 14)  # the emoji is one code point
    assert phone.text == "０９０－１２３４－５６７８"


def test_masked_insult_is_found(analyzer: Analyzer) -> None:
    judgement = analyzer.analyze_one("あの客まじで死●")
    assert judgement.category("harassment_abuse") is not None
