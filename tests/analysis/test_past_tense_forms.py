"""Past-tense terms also match the other forms a confession is written in (〜ちゃった, 〜てた, 〜ました…)."""

from __future__ import annotations

from hikeshi.analysis import Analyzer
from hikeshi.analysis.forms import past_tense_forms
from hikeshi.analysis.lexicon import Concept
from hikeshi.analysis.matcher import ConceptMatcher
from hikeshi.analysis.normalize import normalize


def test_past_tense_forms_of_past_tense_terms() -> None:
    assert past_tense_forms("なめた")[:2] == ("なめちゃった", "なめちゃって")
    assert "飲んじゃった" in past_tense_forms("飲んだ")
    assert "行っちゃった" in past_tense_forms("行った")
    assert "持って帰っちまった" in past_tense_forms("持って帰った")
    assert "書いちゃいました" in past_tense_forms("書いた")
    assert {"なめてた", "なめてしまった"} <= set(past_tense_forms("なめた"))
    assert {"飲んでた", "飲んでしまいました", "飲んどいた", "飲んでもうた"} <= set(past_tense_forms("飲んだ"))
    assert {"なめてやった", "なめてみた", "なめといた", "なめてもうた"} <= set(past_tense_forms("なめた"))
    assert "なめました" in past_tense_forms("なめた")
    assert "しました" in past_tense_forms("した") and "落ちました" in past_tense_forms("落ちた")
    assert "見ました" in past_tense_forms("見た")
    for godan in ("行った", "書いた", "飲んだ"):  # their polite past needs the verb's stem: not guessed
        assert godan[:-1] + "ました" not in past_tense_forms(godan)
    for term in ("た", "だ", "ok", "2た", "pwだ", "運転", "なめて"):
        assert past_tense_forms(term) == (), term


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


def test_rough_fused_forms_of_adjectives() -> None:
    from hikeshi.analysis.forms import fused_adjective_forms

    assert fused_adjective_forms("うざい") == ("うぜー", "うぜえ", "うぜぇ")
    assert fused_adjective_forms("ひどい")[0] == "ひでー"
    assert fused_adjective_forms("わるい")[0] == "わりー"
    assert fused_adjective_forms("うるさい")[0] == "うるせー"
    for term in ("しない", "知らない", "まずい", "かわいい", "臭い", "い", "うい"):
        assert fused_adjective_forms(term) == (), term
    matcher = ConceptMatcher([Concept("rough", ("きもい",), None, False)])
    assert matcher.find(normalize("あいつマジきめー").text) == {"rough": [(5, 8)]}


def test_an_organisations_own_words_take_no_other_forms() -> None:
    from hikeshi.analysis.custom import CustomTerms
    from hikeshi.analysis.matcher import custom_matcher

    matcher = custom_matcher(CustomTerms(vip_names=("あおい",), confidential=("つかった",)))
    assert matcher.find("あおいさん来た") == {"custom_vip": [(0, 3)]}
    assert matcher.find("あえーって言った") == {}
    assert matcher.find("つかっちゃった") == {}
