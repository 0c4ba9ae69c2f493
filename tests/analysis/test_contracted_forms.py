"""Past-tense terms also match their contracted 〜ちゃった / 〜じゃった forms."""

from __future__ import annotations

from hikeshi.analysis import Analyzer
from hikeshi.analysis.lexicon import Concept
from hikeshi.analysis.matcher import ConceptMatcher, contracted_forms
from hikeshi.analysis.normalize import normalize


def test_contracted_forms_of_past_tense_terms() -> None:
    assert contracted_forms("なめた")[:2] == ("なめちゃった", "なめちゃって")
    assert "飲んじゃった" in contracted_forms("飲んだ")
    assert "行っちゃった" in contracted_forms("行った")
    assert "持って帰っちまった" in contracted_forms("持って帰った")
    assert "書いちゃいました" in contracted_forms("書いた")
    assert {"なめてた", "なめてしまった"} <= set(contracted_forms("なめた"))
    assert {"飲んでた", "飲んでしまいました", "飲んどいた", "飲んでもうた"} <= set(contracted_forms("飲んだ"))
    assert {"なめてやった", "なめてみた", "なめといた", "なめてもうた"} <= set(contracted_forms("なめた"))
    for term in ("た", "だ", "ok", "2た", "pwだ", "運転", "なめて"):
        assert contracted_forms(term) == (), term


def test_the_matcher_finds_a_term_in_its_contracted_form() -> None:
    matcher = ConceptMatcher([Concept("lick", ("なめた",), None, False)])
    text = normalize("アイスなめちゃったｗ").text
    assert matcher.find(text) == {"lick": [(3, 9)]}
    assert matcher.find(normalize("アイスなめちゃダメ").text) == {}


def test_a_confession_in_the_contracted_form_is_judged_like_the_plain_one() -> None:
    analyzer = Analyzer()
    plain, contracted = analyzer.analyze(
        ["バイト中に売り物のアイスなめた", "バイト中に売り物のアイスなめちゃった"]
    )
    assert plain.category("misconduct_workplace") is not None
    found = contracted.category("misconduct_workplace")
    assert found is not None and contracted.level in ("high", "critical")
    assert any(e.text.startswith("なめちゃ") for e in found.evidence)
