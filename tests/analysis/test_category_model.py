"""The category head: run-time scoring, file format, training features, thresholds and the analyzer's use."""

from __future__ import annotations

import logging
import pathlib
import re

import numpy as np
import numpy.typing as npt
import pytest

from hikeshi.analysis import Analyzer, models
from hikeshi.analysis.models import (
    CATEGORY_PREFIX,
    ModelSet,
    ModelUnavailable,
    category_lexicon_hits,
    hash_ngrams,
    segment_sums,
    term_hashes,
)
from hikeshi.analysis.taxonomy import CATEGORY_CODES, LEVELS
from tests.analysis.test_models import _write_model_dir

SHIPPED = models.DEFAULT_MODEL_DIR
needs_shipped = pytest.mark.skipif(
    not (SHIPPED / f"{models.CATEGORY_HEAD}.npz").is_file(),
    reason="shipped models not built (run `make train`)",
)
HARD_NEGATIVES = (
    "飲酒運転撲滅キャンペーンに参加",
    "20歳になったので初めてのビール",
    "公式サイトで新商品を発表しました",
)


def test_segment_sums_equal_a_plain_accumulation() -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        n_docs = int(rng.integers(1, 25))
        runs = [np.sort(rng.integers(0, n_docs, int(rng.integers(0, 50)))) for _ in range(4)]
        docs = np.concatenate(runs).astype(np.int64)
        values = rng.normal(size=(docs.size, 5)).astype(np.float32)
        expected = np.zeros((n_docs, 5))
        np.add.at(expected, docs, values.astype(np.float64))
        assert np.allclose(segment_sums(docs, values, n_docs), expected, atol=1e-4)


def test_category_lexicon_hits_count_every_category_a_term_serves() -> None:
    hashes = term_hashes(["万引き", "店長", "バカ"])
    order = np.argsort(hashes)
    members = np.zeros((3, 3), dtype=np.bool_)
    members[0, 0] = True  # 万引き: category 0
    members[1, [1, 2]] = True  # 店長: categories 1 and 2
    members[2, 2] = True  # バカ: category 2
    texts = ["店長の前で万引きした", "ばかな店長", "晴れ"]
    batch = hash_ngrams(texts, (1, 2, 3, 4), 16)
    hits = category_lexicon_hits(batch, hashes[order], members[order], len(texts))
    assert hits.tolist() == [[1, 1, 1], [0, 1, 2], [0, 0, 0]]


def test_round_trip_predicts_every_category(tmp_path: pathlib.Path) -> None:
    _write_model_dir(tmp_path)
    model_set = ModelSet.load(tmp_path)
    out = model_set.predict(["悪", "良"])
    assert {"toxicity", "wrongdoing"} | {CATEGORY_PREFIX + code for code in CATEGORY_CODES} == set(out)
    expected = 1 / (1 + np.exp(-(4 / np.sqrt(3) - 1)))
    assert out[CATEGORY_PREFIX + CATEGORY_CODES[0]][0] == pytest.approx(expected, abs=1e-6)
    assert out[CATEGORY_PREFIX + CATEGORY_CODES[1]][0] == pytest.approx(1 / (1 + np.e), abs=1e-6)
    assert model_set.category_thresholds() == dict.fromkeys(CATEGORY_CODES, 0.5)
    assert model_set.predict([])[CATEGORY_PREFIX + CATEGORY_CODES[0]].shape == (0,)


def test_missing_or_broken_category_file_is_named(tmp_path: pathlib.Path) -> None:
    _write_model_dir(tmp_path)
    path = tmp_path / f"{models.CATEGORY_HEAD}.npz"
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["thresholds"] = arrays["thresholds"][:3]
    np.savez_compressed(path, **arrays)
    with pytest.raises(ModelUnavailable, match=r"category\.npz: thresholds shape"):
        ModelSet.load(tmp_path)
    path.unlink()
    with pytest.raises(ModelUnavailable, match=r"model file missing: .*category\.npz"):
        ModelSet.load(tmp_path)


def test_missing_category_file_falls_back_to_rules_loudly(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write_model_dir(tmp_path)
    (tmp_path / f"{models.CATEGORY_HEAD}.npz").unlink()
    with caplog.at_level(logging.WARNING, logger="hikeshi.analysis"):
        engine = Analyzer(model_dir=tmp_path)
    assert not engine.models_loaded
    assert "category.npz" in engine.status()["model"]
    assert any("every category come from the rules only" in r.getMessage() for r in caplog.records)
    judgement = engine.analyze_one("飲んだ後そのまま運転して帰った")
    assert judgement.category("illegal_act") is not None


def test_model_alone_reports_a_category_with_an_actionable_reason(tmp_path: pathlib.Path) -> None:
    """The tiny head says 悪 is the first category (p = 0.87 > threshold 0.5); no rule knows the text."""
    _write_model_dir(tmp_path)
    engine = Analyzer(model_dir=tmp_path)
    code = CATEGORY_CODES[0]
    judgement = engine.analyze_one("悪")
    entry = judgement.category(code)
    assert entry is not None and judgement.level in ("medium", "high")
    assert [(e.start, e.end, e.text) for e in entry.evidence] == [(0, 0, "")]
    assert entry.evidence[0].reason.startswith("文全体の表現から")
    assert "統計モデル" in judgement.explanation and judgement.explanation.endswith("。")
    assert re.search(r"確率\d+%", judgement.explanation)
    assert engine.analyze_one("良").category(code) is None


def test_model_evidence_quotes_a_word_once_not_also_its_parts(tmp_path: pathlib.Path) -> None:
    """Concepts matched 「新人の」 and 「新人の子」: only the longer is quoted (with its original characters)."""
    from hikeshi.analysis.normalize import normalize

    _write_model_dir(tmp_path)
    engine = Analyzer(model_dir=tmp_path)
    code = CATEGORY_CODES[0]
    engine._category_concepts = {code: ("who_short", "who_long", "act")}
    text = "ｼﾝｼﾞﾝ 新人の子、仕事できなさすぎて草"
    start = text.index("新人")
    norm = normalize(text)
    at = norm.text.index("新人")
    hits = {"who_short": [(at, at + 3)], "who_long": [(at, at + 4)], "act": [(at + 5, at + 7)]}
    evidence = engine._model_evidence(norm, hits, code)
    assert [e.text for e in evidence] == ["新人の子", "仕事"]
    assert evidence[0].start == start and all(text[e.start : e.end] == e.text for e in evidence)


def _toy_rows() -> tuple[list[str], npt.NDArray[np.int8]]:
    """24 short rows: 店長 rows are workplace complaints, リーク/流出 rows confidential leaks, the rest benign."""
    texts = [
        "店長がうざい",
        "新作のリーク情報",
        "ランチ美味しい",
        "店長ほんと無理",
        "社外秘の資料を流出",
        "散歩した",
    ] * 4
    targets = np.zeros((len(texts), len(CATEGORY_CODES)), dtype=np.int8)
    complaint, leak = CATEGORY_CODES.index("workplace_complaint"), CATEGORY_CODES.index("confidential_leak")
    for index, text in enumerate(texts):
        targets[index, complaint] = int("店長" in text)
        targets[index, leak] = int("リーク" in text or "流出" in text)
    return texts, targets


def test_training_features_equal_the_run_time_scores() -> None:
    pytest.importorskip("sklearn")
    from hikeshi.analysis.training.category import (
        CategoryRows,
        CategorySettings,
        category_features,
        category_lexicon,
        fit_categories,
    )

    texts, targets = _toy_rows()
    complaint = CATEGORY_CODES.index("workplace_complaint")
    settings = CategorySettings(bits=14, min_positives=3)
    fitted = fit_categories(CategoryRows(texts, targets, ["test"] * len(texts)), settings)
    head = fitted.head
    hashes, members = category_lexicon(settings.orders)
    x = category_features(texts, settings, hashes, members).toarray()
    n_buckets = 1 << settings.bits
    dense = head.weights[head.rows].astype(np.float64)  # (buckets, codes)
    expected = x[:, :n_buckets] @ dense + x[:, n_buckets:] @ head.lexicon_weights + head.bias
    run_time = head.raw_scores(hash_ngrams(texts, settings.orders, settings.bits), len(texts))
    assert np.allclose(run_time, expected, atol=1e-4)
    assert (run_time[:, complaint][targets[:, complaint] == 1] > 0).all()
    # Categories without positives get no model and can never pass a threshold.
    assert head.bias[CATEGORY_CODES.index("political_religious")] <= -10


def test_training_keeps_only_the_strongest_buckets_when_capped() -> None:
    """The shipped file's size is bounded: over ``max_buckets`` the weakest n-gram buckets are dropped."""
    pytest.importorskip("sklearn")
    from hikeshi.analysis.training.category import CategoryRows, CategorySettings, fit_categories

    texts, targets = _toy_rows()
    rows = CategoryRows(texts, targets, ["test"] * len(texts))
    full = fit_categories(rows, CategorySettings(bits=14, min_positives=3)).head
    capped = fit_categories(rows, CategorySettings(bits=14, min_positives=3, max_buckets=10)).head
    full_buckets = int((full.rows > 0).sum())
    assert full_buckets > 10 and int((capped.rows > 0).sum()) == 10
    strength = np.abs(full.weights[full.rows]).max(axis=1)  # per bucket, 0 where none is kept
    kept = capped.rows > 0
    assert strength[kept].min() >= np.sort(strength[full.rows > 0])[-10]
    assert np.array_equal(capped.weights[capped.rows[kept]], full.weights[full.rows[kept]])


def test_training_can_round_the_weights_to_int8_steps(tmp_path: pathlib.Path) -> None:
    """With ``weight_encoding="int8"`` the head is trained, measured and saved with the weights the file stores."""
    pytest.importorskip("sklearn")
    from hikeshi.analysis.models import load_category_head, quantized_category_weights, save_category_head
    from hikeshi.analysis.training.category import CategoryRows, CategorySettings, fit_categories

    texts, targets = _toy_rows()
    rows = CategoryRows(texts, targets, ["test"] * len(texts))
    half = fit_categories(rows, CategorySettings(bits=14, min_positives=3)).head
    steps = fit_categories(rows, CategorySettings(bits=14, min_positives=3, weight_encoding="int8")).head
    assert np.array_equal(steps.weights, quantized_category_weights(half.weights))
    save_category_head(tmp_path / "category.npz", steps)
    assert np.array_equal(load_category_head(tmp_path / "category.npz").weights, steps.weights)
    with pytest.raises(ValueError, match="unknown weight encoding"):
        fit_categories(rows, CategorySettings(bits=14, min_positives=3, weight_encoding="int4"))


def test_thresholds_keep_the_benign_pool_within_budget() -> None:
    pytest.importorskip("sklearn")
    from hikeshi.analysis.training.category import CategorySettings, DevCases, choose_thresholds

    rng = np.random.default_rng(3)
    n_codes = len(CATEGORY_CODES)
    categories: list[str | None] = [CATEGORY_CODES[i % n_codes] for i in range(120)] + [None] * 60
    risky = [True] * 120 + [False] * 60
    probabilities = rng.uniform(0.0, 0.6, size=(180, n_codes))
    for row in range(120):
        probabilities[row, row % n_codes] = rng.uniform(0.5, 1.0)
    settings = CategorySettings(max_benign_share=0.05)
    thresholds, figures = choose_thresholds(probabilities, DevCases([""] * 180, categories, risky), settings)
    assert np.all(thresholds >= settings.threshold_floor)
    flagged = (probabilities[120:] >= thresholds).any(axis=1).mean()
    assert flagged <= 0.05 and figures["dev_benign_flagged_share"] == pytest.approx(flagged)


def test_a_per_category_budget_keeps_one_categorys_hard_negatives_from_spending_anothers() -> None:
    """Category 0 has many risky rows and benign rows that look like them; category 1 a few clean ones. A shared
    budget goes to category 0 (most recall per benign row); per category, category 0 stops at its own share."""
    pytest.importorskip("sklearn")
    from hikeshi.analysis.training.category import CategorySettings, DevCases, choose_thresholds

    rng = np.random.default_rng(5)
    n_codes = len(CATEGORY_CODES)
    n_first, n_second, n_benign = 300, 20, 1200
    probabilities = np.zeros((n_first + n_second + n_benign, n_codes))
    probabilities[:n_first, 0] = rng.uniform(0.55, 1.0, n_first)
    probabilities[n_first : n_first + n_second, 1] = rng.uniform(0.55, 1.0, n_second)
    lookalikes = n_first + n_second + np.arange(120)
    probabilities[lookalikes, 0] = rng.uniform(0.55, 1.0, lookalikes.size)  # benign, but read as category 0
    probabilities[n_first + n_second + 120 :, 1] = rng.uniform(0.0, 0.5, n_benign - 120)
    categories = [CATEGORY_CODES[0]] * n_first + [CATEGORY_CODES[1]] * n_second + [None] * n_benign
    risky = [True] * (n_first + n_second) + [False] * n_benign
    dev = DevCases([""] * len(risky), categories, risky)
    benign = np.array([not r for r in risky])
    spent = {}
    for budget in ("shared", "per_category"):
        settings = CategorySettings(max_benign_share=0.06, benign_budget=budget)
        thresholds, _figures = choose_thresholds(probabilities, dev, settings)
        assert (probabilities[benign] >= thresholds).any(axis=1).sum() <= int(0.06 * n_benign)
        assert thresholds[1] < 0.6  # the clean category reports either way
        spent[budget] = int((probabilities[benign, 0] >= thresholds[0]).sum())
    assert spent["per_category"] <= int(0.06 * n_benign) // n_codes < spent["shared"]
    with pytest.raises(ValueError, match="unknown benign budget"):
        choose_thresholds(probabilities, dev, CategorySettings(benign_budget="none"))


@needs_shipped
def test_shipped_category_head_ranks_obvious_cases() -> None:
    out = ModelSet.load().predict(
        ["バイト先の冷蔵庫に入ってみたｗｗ", "今日は公園を散歩した", "店長まじでうざい、毎日怒鳴ってばかり"]
    )
    misconduct = out[CATEGORY_PREFIX + "misconduct_workplace"]
    complaint = out[CATEGORY_PREFIX + "workplace_complaint"]
    assert misconduct[0] > misconduct[1]
    assert complaint[2] > complaint[1]
    for code in CATEGORY_CODES:
        values = out[CATEGORY_PREFIX + code]
        assert np.all((values >= 0) & (values <= 1))


@needs_shipped
def test_shipped_analyzer_keeps_the_hard_negatives_low() -> None:
    engine = Analyzer()
    assert engine.models_loaded
    for judgement in engine.analyze(list(HARD_NEGATIVES)):
        assert LEVELS.index(judgement.level) <= LEVELS.index("low"), judgement.to_json()


@needs_shipped
def test_shipped_analyzer_judgements_do_not_depend_on_the_batch() -> None:
    engine = Analyzer()
    texts = ["店長まじでうざい", "新作の発売日、社内で聞いちゃった", *HARD_NEGATIVES]
    together = engine.analyze(texts)
    for text, judgement in zip(texts, together, strict=True):
        assert engine.analyze_one(text).to_dict() == judgement.to_dict()


def test_eval_category_section_scores_the_model_alone(tmp_path: pathlib.Path) -> None:
    from hikeshi.analysis.evaluate import evaluate_category_model

    (tmp_path / "models").mkdir()
    _write_model_dir(tmp_path / "models")
    cases = tmp_path / "cases"
    cases.mkdir()
    code = CATEGORY_CODES[0]
    rows = [
        f'{{"id": "a", "text": "悪", "category": "{code}", "risky": true, "note": ""}}',
        f'{{"id": "b", "text": "良", "category": "{code}", "risky": true, "note": ""}}',
        f'{{"id": "c", "text": "悪だ", "category": "{code}", "risky": false, "note": ""}}',
        '{"id": "d", "text": "晴れ", "category": null, "risky": false, "note": ""}',
    ]
    (cases / f"{code}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = evaluate_category_model(cases, tmp_path / "models")
    assert report["categories"][code]["recall"] == 0.5
    assert report["categories"][code]["false_positives"] == 1
    assert report["benign_flagged_share"] == 0.5


@needs_shipped
def test_shipped_thresholds_and_the_analyzer_view_agree_with_predict() -> None:
    model_set = ModelSet.load()
    thresholds = model_set.category_thresholds()
    assert set(thresholds) == set(CATEGORY_CODES)
    assert all(0.5 <= t <= 1.01 for t in thresholds.values())
    texts = ["バイト先の冷蔵庫に入ってみたｗｗ", "今日は公園を散歩した", "上司の悪口を書いた"]
    plain = model_set.predict(texts)
    signals, rows, passing = model_set.predict_for_analyzer(texts)
    for index in range(len(texts)):
        assert signals["toxicity"][index] == pytest.approx(plain["toxicity"][index])
        for column, code in enumerate(model_set.category_codes):
            probability = plain[CATEGORY_PREFIX + code][index]
            assert rows[index][column] == pytest.approx(probability)
            assert (column in passing[index]) == (probability >= thresholds[code])
