"""Kana forms of lexicon terms: generated, kept in step with the lexicon, and used by the matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from hikeshi.analysis import Analyzer
from hikeshi.analysis.forms import KANA_FORMS_FILE, load_kana_forms
from hikeshi.analysis.lexicon import LEXICON_DIR, Concept, load_lexicon
from hikeshi.analysis.matcher import ConceptMatcher
from hikeshi.analysis.normalize import normalize
from hikeshi.analysis.tokenizer import Tokenizer
from hikeshi.analysis.training.kana_forms import build, candidate_forms, colliding_forms


def test_the_shipped_forms_belong_to_terms_of_the_lexicon() -> None:
    forms = load_kana_forms(LEXICON_DIR)
    assert len(forms) > 1000
    terms = {(c.name, normalize(t).text) for c in load_lexicon().concepts for t in c.terms}
    stale = [key for key in forms if key not in terms]
    assert not stale, (
        f"{len(stale)} stale entries, e.g. {stale[:3]}: run `make train` to regenerate {KANA_FORMS_FILE}"
    )
    assert "のんだ後" in forms[("drinking", "飲んだ後")]
    assert "のんで" not in forms.get(("drinking", "飲んで"), ())  # 「たのんで」 (頼んで) holds it
    assert all(form != term for (_, term), values in forms.items() for form in values)


def test_candidates_read_back_as_the_same_words() -> None:
    tokenizer = Tokenizer()
    assert "もちかえった" in candidate_forms("持ち帰った", tokenizer)
    assert "のんだ後" in candidate_forms("飲んだ後", tokenizer)
    assert candidate_forms("運転", tokenizer) == []  # no verb or adjective
    assert all(len(form) >= 3 for form in candidate_forms("見た", tokenizer))


def test_a_form_that_a_sentence_shows_coming_from_another_word_is_dropped() -> None:
    tokenizer = Tokenizer()
    candidates = {"のんだ": {"飲んだ"}, "ぬすんだ": {"盗んだ"}}
    sentences = ["店員さんにお茶を頼んだ", "昨日ビールを飲んだ", "財布を盗んだ犯人が捕まった"]
    assert colliding_forms(candidates, sentences, tokenizer) == {"のんだ"}  # 「たのんだ」


def test_build_gives_forms_of_kanji_terms_minus_the_colliding_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    from hikeshi.analysis.lexicon import Lexicon
    from hikeshi.analysis.training import kana_forms

    concepts = (
        Concept("theft", ("盗んだ", "パクった"), None, False),
        Concept("drinking", ("飲んだ後", "飲んだ"), None, False),
    )
    monkeypatch.setattr(kana_forms, "load_lexicon", lambda _directory: Lexicon("t", concepts, (), ()))
    rows = build(["お茶を頼んだ", "友達とご飯を食べた"], Path("unused"))
    assert ("ぬすんだ", "theft", "盗んだ") in rows
    assert ("のんだ後", "drinking", "飲んだ後") in rows
    assert not any(form == "のんだ" for form, _c, _t in rows)  # 「たのんだ」
    assert not any(term == "パクった" for _f, _c, term in rows)  # no kanji: no kana form


def test_the_matcher_and_analyzer_use_the_forms() -> None:
    matcher = ConceptMatcher(
        [Concept("take_home", ("持ち帰った",), None, False)], {("take_home", "持ち帰った"): ("もちかえった",)}
    )
    assert matcher.find("書類もちかえった") == {"take_home": [(2, 8)]}
    assert matcher.find("書類もちかえっちゃった") == {
        "take_home": [(2, 11)]
    }  # and the past-tense forms of it
    judgement = Analyzer().analyze_one("のんだ後そのまま運転してかえった")
    assert judgement.level in ("high", "critical")
