"""Loading, model fallback, lexicon validation, batch behaviour, thread safety and determinism."""

from __future__ import annotations

import json
import logging
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest

from hikeshi.analysis import Analyzer, Judgement, get_analyzer
from hikeshi.analysis.lexicon import LEXICON_DIR, LexiconError, load_lexicon

POSTS = [
    "飲んだ後そのまま運転して帰ったｗ",
    "さっきの会計、俳優の○○さんだった",
    "今日はいい天気",
    "ｱｲｽﾅﾒﾀ😋 バイト中に売り物のアイスなめた",
    "電話 090-1234-5678 まで",
]


def test_missing_model_falls_back_to_rules_loudly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hikeshi.analysis"):
        engine = Analyzer(model_dir=tmp_path)
    assert engine.status()["model"].startswith("missing: ")
    assert str(tmp_path) in engine.status()["model"]
    assert any("statistical models not used" in r.getMessage() for r in caplog.records)
    judgement = engine.analyze_one("飲んだ後そのまま運転して帰った")
    assert judgement.wrongdoing > 0.5  # from the rules, never a silent zero


def test_model_of_another_format_version_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "model_info.json").write_text(json.dumps({"format_version": 999}), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="hikeshi.analysis"):
        engine = Analyzer(model_dir=tmp_path)
    status = engine.status()["model"]
    assert status.startswith("missing: ") and "999" in status
    assert not engine.models_loaded


def test_unimportable_model_module_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hikeshi.analysis.models", None)
    engine = Analyzer()
    assert engine.status()["model"].startswith("missing: the models module cannot be imported")


def test_status_names_versions_and_tokenizer(analyzer: Analyzer) -> None:
    status = analyzer.status()
    assert status["tokenizer"] == "MeCab+ipadic"
    assert re.fullmatch(
        r"concepts \d{4}\.\d+\.\d+, rules \d{4}\.\d+\.\d+, modifiers .+", status["rules_version"]
    )
    assert status["rules"] > 50 and status["concept_terms"] > 1000


def test_get_analyzer_is_a_singleton() -> None:
    results: list[Analyzer] = []
    threads = [threading.Thread(target=lambda: results.append(get_analyzer())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(a) for a in results}) == 1
    assert get_analyzer() is results[0]


def test_batch_equals_one_at_a_time_and_is_deterministic(analyzer: Analyzer) -> None:
    batch = analyzer.analyze(POSTS, ids=[str(i) for i in range(len(POSTS))])
    single = [analyzer.analyze_one(text, id=str(i)) for i, text in enumerate(POSTS)]
    assert [j.to_json() for j in batch] == [j.to_json() for j in single]
    assert [j.to_json() for j in analyzer.analyze(POSTS, ids=[str(i) for i in range(len(POSTS))])] == [
        j.to_json() for j in batch
    ]


def test_threads_agree(analyzer: Analyzer) -> None:
    expected = [j.to_json() for j in analyzer.analyze(POSTS * 20)]
    outputs: list[list[str]] = [[] for _ in range(4)]

    def work(slot: int) -> None:
        outputs[slot] = [j.to_json() for j in analyzer.analyze(POSTS * 20)]

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(output == expected for output in outputs)


def test_bad_arguments(analyzer: Analyzer) -> None:
    with pytest.raises(TypeError):
        analyzer.analyze("a single string")
    with pytest.raises(TypeError):
        analyzer.analyze(["ok", 5])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        analyzer.analyze(["a", "b"], ids=["only one"])
    assert analyzer.analyze([]) == []


def test_hostile_input(analyzer: Analyzer) -> None:
    long_text = "あの客" + "ｗ" * 100_000 + "死ね"
    judgement = analyzer.analyze_one(long_text)
    assert isinstance(judgement, Judgement)
    for text in ["", " ", "\x00\x01", "\ud800", "○" * 50, "🙂" * 500]:
        assert analyzer.analyze_one(text).level in ("none", "low", "medium", "high", "critical")


def test_json_shape(analyzer: Analyzer) -> None:
    data = json.loads(analyzer.analyze_one("あの客ほんと消えてほしい、電話 03-1234-5678", id="p1").to_json())
    assert list(data) == [
        "id", "risk", "level", "categories", "sentiment", "toxicity", "wrongdoing", "pii", "explanation",
    ]  # fmt: skip
    assert data["id"] == "p1"
    assert 0.0 <= data["risk"] <= 1.0
    category = data["categories"][0]
    assert set(category) == {"code", "score", "evidence"}
    assert set(category["evidence"][0]) == {"start", "end", "text", "reason"}
    assert set(data["sentiment"]) == {"label", "score"}
    assert set(data["pii"][0]) == {"type", "start", "end", "text"}


def _copy_lexicons(tmp_path: Path) -> Path:
    target = tmp_path / "lexicons"
    shutil.copytree(LEXICON_DIR, target)
    return target


def test_shipped_lexicon_loads() -> None:
    lexicon = load_lexicon()
    assert all(rule.reason and rule.summary for rule in lexicon.rules)
    assert len({rule.id for rule in lexicon.rules}) == len(lexicon.rules)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("rules.toml", 'category = "illegal_act"', 'category = "no_such_code"', "unknown category"),
        (
            "rules.toml",
            'all = ["drinking", "driving"]',
            'all = ["drinking", "flying"]',
            "unknown concept 'flying'",
        ),
        ("rules.toml", "weight = 0.8\n", "weight = 1.5\n", "'weight' must be a number in (0, 1]"),
        ("modifiers.toml", 'scope = "after:12"', 'scope = "sometimes"', "bad scope"),
        ("concepts.toml", "format = 1", "format = 2", "format must be 1"),
        ("concepts.toml", "[concepts.theft]\nterms", "[concepts.theft]\nregex = '('\nterms", "bad regex"),
        ("concepts.toml", "lead = 0\n", 'lead = "0"\n', "'lead' must be an integer 0..100"),
        (
            "concepts.toml",
            "[concepts.theft]\nterms",
            "[concepts.theft]\nlead = 1\nterms",
            "only with a 'regex'",
        ),
    ],
)
def test_malformed_lexicon_is_rejected_with_where(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    directory = _copy_lexicons(tmp_path)
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LexiconError) as error:
        load_lexicon(directory)
    assert message in str(error.value)
    assert file in str(error.value)


def test_trained_models_combine_with_rules() -> None:
    engine = Analyzer()
    if not engine.models_loaded:
        pytest.skip(f"trained models not present: {engine.status()['model']} (run `make train`)")
    assert engine.status()["model"] == "loaded"
    confession, benign = engine.analyze(["飲んだ後そのまま運転して帰った", "今日は公園を散歩した"])
    assert 0.0 <= benign.toxicity <= 1.0 and 0.0 <= benign.wrongdoing <= 1.0
    assert confession.wrongdoing > benign.wrongdoing
    assert confession.level in ("high", "critical")


@pytest.mark.parametrize("fast", [True, False])
def test_a_suppressing_context_damps_the_signal_only_risk(analyzer: Analyzer, fast: bool) -> None:
    # No rule fires on either text; the same strong toxicity signal must count less in a drama's plot.
    signal = {"toxicity": 0.95, "wrongdoing": 0.1}
    plain = analyzer._judge("あいつほんとにありえない", None, None, signal, None, fast=fast)
    drama = analyzer._judge("ドラマの悪役があいつほんとにありえない", None, None, signal, None, fast=fast)
    assert not plain.categories and not drama.categories
    assert plain.level == "medium"
    assert drama.risk < plain.risk and drama.level == "low"


def test_a_modifier_phrase_that_takes_in_the_rule_word_counts(analyzer: Analyzer) -> None:
    """「嫌いじゃない」 negates the rule's own 「嫌い」: the modifier covers the word, it is not part of it."""
    from hikeshi.analysis.scoring import _part_of_rule_word

    assert _part_of_rule_word((3, 6), [(0, 6)])  # 「信用できない」 holds 「できない」: part of the rule word
    assert _part_of_rule_word((4, 8), [(0, 6)])  # straddling the rule word
    assert _part_of_rule_word((0, 6), [(0, 6)])  # the very same word
    assert not _part_of_rule_word((0, 6), [(0, 2)])  # 「嫌いじゃない」 takes in 「嫌い」
    assert not _part_of_rule_word((7, 9), [(0, 6)])
    plain = analyzer.analyze_one("うちの店長のこと嫌い").category("workplace_complaint")
    negated = analyzer.analyze_one("うちの店長のこと嫌いじゃない").category("workplace_complaint")
    assert plain is not None
    assert negated is None or negated.score < plain.score


def test_a_lone_surrogate_keeps_the_offsets_of_what_follows(analyzer: Analyzer) -> None:
    """The matcher hands text to Rust as UTF-8; a lone surrogate is replaced one for one, not dropped."""
    text = "\ud800飲んだ後そのまま運転して帰った"
    judgement = analyzer.analyze_one(text)
    clean = analyzer.analyze_one("x飲んだ後そのまま運転して帰った")
    assert judgement.level == clean.level
    spans = [(e.start, e.end, e.text) for c in judgement.categories for e in c.evidence]
    assert spans == [(e.start, e.end, e.text) for c in clean.categories for e in c.evidence]
    assert all(text[start:end] == quoted for start, end, quoted in spans)
