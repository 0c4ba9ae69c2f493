"""The analysis models: featuriser, file format, loading errors, and the shipped heads' behaviour."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

from hikeshi.analysis import models
from hikeshi.analysis.models import (
    MODEL_FORMAT_VERSION,
    CategoryHead,
    Head,
    ModelSet,
    ModelUnavailable,
    hash_ngrams,
    lexicon_hits,
    normalise,
    save_category_head,
    save_head,
    term_hashes,
)
from hikeshi.analysis.taxonomy import CATEGORY_CODES

SHIPPED = models.DEFAULT_MODEL_DIR
needs_shipped = pytest.mark.skipif(
    not (SHIPPED / models.INFO_FILE).is_file(), reason="shipped models not built (run `make train`)"
)


def test_normalise_folds_width_case_kana_and_long_runs() -> None:
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("バカ") == normalise("ばか") == "ばか"
    assert normalise("しねええええ") == "しねええ"
    assert normalise("a\x00b") == "a b"  # the separator can never come from user text
    assert normalise("x" * 10_000) == "xx"
    assert len(normalise("あい" * 10_000)) == models.MAX_CHARS


def test_ngram_counts_per_text_and_grouping() -> None:
    texts = ["あいう", "", "xy"]
    batch = hash_ngrams(texts, (1, 2, 3), 16)
    # Each text is wrapped in begin/end markers: L+2 characters give L+2, L+1, L n-grams of order 1, 2, 3.
    expected = [5 + 4 + 3, 2 + 1 + 0, 4 + 3 + 2]
    assert np.bincount(batch.docs, minlength=3).tolist() == expected
    assert batch.buckets.min() >= 0 and batch.buckets.max() < 1 << 16
    assert np.allclose(batch.scale, 1 / np.sqrt(expected))


def test_user_nul_characters_do_not_split_a_text() -> None:
    batch = hash_ngrams(["a\x00b", "c"], (1,), 12)
    assert np.bincount(batch.docs).tolist() == [5, 3]


def test_ngrams_do_not_depend_on_batch_neighbours() -> None:
    alone = hash_ngrams(["東京に行った"], (1, 2, 3, 4), 18)
    mixed = hash_ngrams(["前の文", "東京に行った", "後"], (1, 2, 3, 4), 18)
    assert sorted(alone.full.tolist()) == sorted(mixed.full[mixed.docs == 1].tolist())


def test_hash_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="bits"):
        hash_ngrams(["a"], (1,), 40)
    with pytest.raises(ValueError, match="orders"):
        hash_ngrams(["a"], (9,), 10)
    with pytest.raises(ValueError, match="characters"):
        term_hashes(["とても長い言葉です"])


def test_distinct_ngrams_get_distinct_hashes() -> None:
    # Format 2 hashed code x (a small per-position integer) x one constant, so these pairs collided.
    pairs = [("ざまあ", "エッチ"), ("ゴキブリ", "しゃぶっ")]
    for left, right in pairs:
        assert term_hashes([left])[0] != term_hashes([right])[0]
    # Every distinct 1-4-gram of a few thousand characters of varied text: no 64-bit collision.
    text = "".join(chr(code) for code in range(0x3041, 0x3097)) + "東京大阪名古屋福岡札幌仙台広島" * 3
    text += "".join(chr(0x4E00 + (i * 37) % 2000) for i in range(3000))
    grams = sorted({text[i : i + n] for n in range(1, 5) for i in range(len(text) - n + 1)})
    grams = [g for g in grams if len(normalise(g)) == len(g)]
    assert len(set(term_hashes(grams).tolist())) == len(grams)


def test_lexicon_hits_count_exact_terms_after_normalisation() -> None:
    hashes = np.sort(term_hashes(["クズ", "死ね"]))
    tiers = np.array([0, 0], dtype=np.int64)
    batch = hash_ngrams(["くずだな、死ね死ね", "くすりを飲む", "ＫＵＺＵ"], (1, 2, 3, 4), 18)
    hits = lexicon_hits(batch, hashes, tiers, 1, 3)
    assert hits[:, 0].tolist() == [3.0, 0.0, 0.0]


def write_category_head(directory: pathlib.Path, bits: int, bucket: int) -> None:
    """A category head where the bucket weighs +4 for the first code only, bias -1, identity calibration."""
    n_codes = len(CATEGORY_CODES)
    rows = np.zeros(1 << bits, dtype=np.int32)
    rows[bucket] = 1
    weights = np.zeros((2, n_codes), dtype=np.float32)
    weights[1, 0] = 4.0
    save_category_head(
        directory / f"{models.CATEGORY_HEAD}.npz",
        CategoryHead(
            codes=CATEGORY_CODES,
            orders=(1,),
            bits=bits,
            rows=rows,
            weights=weights,
            bias=np.full(n_codes, -1.0),
            lexicon_hashes=np.zeros(0, dtype=np.uint64),
            lexicon_members=np.zeros((0, n_codes), dtype=np.bool_),
            lexicon_weights=np.zeros((n_codes, n_codes)),
            platt=np.tile([1.0, 0.0], (n_codes, 1)),
            thresholds=np.full(n_codes, 0.5),
        ),
    )


def _write_model_dir(directory: pathlib.Path, version: int = MODEL_FORMAT_VERSION) -> None:
    """A tiny hand-built model set: the n-gram 悪 weighs +4 for both heads, calibration is the identity
    on a logistic curve sampled densely."""
    bits = 10
    weights = np.zeros(1 << bits, dtype=np.float32)
    bucket = int(hash_ngrams(["悪"], (1,), bits).buckets[1])  # [BOS, 悪, EOS]
    weights[bucket] = 4.0
    grid = np.linspace(-20, 20, 401)
    for name in models.HEADS:
        head = Head(
            name,
            (1,),
            bits,
            "linear",
            {"weights": weights, "bias": np.array(-1.0)},
            grid,
            1 / (1 + np.exp(-grid)),
        )
        save_head(directory / f"{name}.npz", head)
    write_category_head(directory, bits, bucket)
    info = {"format_version": version, "trained_date": "2026-01-01", "data": [], "metrics": {}}
    (directory / models.INFO_FILE).write_text(json.dumps(info), encoding="utf-8")


def test_round_trip_gives_the_expected_probabilities(tmp_path: pathlib.Path) -> None:
    _write_model_dir(tmp_path)
    model_set = ModelSet.load(tmp_path)
    out = model_set.predict(["悪", "良"])
    # "悪" alone: 3 unigrams (BOS, 悪, EOS) so the scale is 1/sqrt(3); score = 4/sqrt(3) - 1.
    expected = 1 / (1 + np.exp(-(4 / np.sqrt(3) - 1)))
    assert out["toxicity"][0] == pytest.approx(expected, abs=1e-3)
    assert out["wrongdoing"][1] == pytest.approx(1 / (1 + np.exp(1.0)), abs=1e-3)
    assert model_set.info()["format_version"] == MODEL_FORMAT_VERSION
    assert model_set.predict([])["toxicity"].shape == (0,)


def test_missing_directory_names_the_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"model info missing: .*model_info\.json"):
        ModelSet.load(tmp_path / "nowhere")


def test_missing_head_file_names_the_file(tmp_path: pathlib.Path) -> None:
    _write_model_dir(tmp_path)
    (tmp_path / "wrongdoing.npz").unlink()
    with pytest.raises(ModelUnavailable, match=r"model file missing: .*wrongdoing\.npz"):
        ModelSet.load(tmp_path)


def test_other_format_version_is_refused(tmp_path: pathlib.Path) -> None:
    _write_model_dir(tmp_path, version=MODEL_FORMAT_VERSION + 1)
    with pytest.raises(ModelUnavailable, match=f"format version {MODEL_FORMAT_VERSION + 1}"):
        ModelSet.load(tmp_path)


def test_corrupt_head_file_is_refused(tmp_path: pathlib.Path) -> None:
    _write_model_dir(tmp_path)
    (tmp_path / "toxicity.npz").write_bytes(b"not a zip file")
    with pytest.raises(ModelUnavailable, match=r"unreadable: .*toxicity\.npz"):
        ModelSet.load(tmp_path)


def test_predict_rejects_a_bare_string_and_non_strings(tmp_path: pathlib.Path) -> None:
    _write_model_dir(tmp_path)
    model_set = ModelSet.load(tmp_path)
    with pytest.raises(TypeError, match="sequence of texts"):
        model_set.predict("悪")
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        model_set.predict(["悪", 3])  # type: ignore[list-item]


def test_models_module_needs_no_training_libraries() -> None:
    code = (
        "import sys, hikeshi.analysis.models as m; m.ModelSet;"
        "bad = [n for n in ('sklearn', 'scipy', 'django') if n in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@needs_shipped
def test_shipped_models_are_small_and_documented() -> None:
    total = sum(p.stat().st_size for p in SHIPPED.iterdir() if p.is_file())
    assert total < 5_000_000
    # No file of the repository may pass 2 MiB (a clone must stay light); the category head is the one that grows
    # with the team rows (see CategorySettings.max_buckets).
    large = {p.name: p.stat().st_size for p in SHIPPED.iterdir() if p.stat().st_size > 2 * 1024 * 1024}
    assert large == {}
    info = ModelSet.load().info()
    assert info["format_version"] == MODEL_FORMAT_VERSION
    assert {"toxicity", "wrongdoing"} <= set(info["metrics"])  # type: ignore[arg-type]
    assert (SHIPPED / "MODEL_CARD.md").is_file()


@needs_shipped
def test_shipped_models_rank_obvious_cases() -> None:
    out = ModelSet.load().predict(
        [
            "お前なんか死ね、このクズ野郎",
            "今日はいい天気なので散歩しました",
            "店の金を盗んで遊びに使った",
            "道に落ちていた財布を交番に届けた",
        ]
    )
    assert out["toxicity"][0] > 0.5 > out["toxicity"][1]
    assert out["wrongdoing"][2] > out["wrongdoing"][3]
    for values in out.values():
        assert np.all((values >= 0) & (values <= 1))


@needs_shipped
def test_shipped_predictions_do_not_depend_on_the_batch() -> None:
    model_set = ModelSet.load()
    texts = ["ぶっ殺すぞ", "ありがとうございました", "赤信号だったのでアクセルを踏んだ"]
    together = model_set.predict(texts)
    for index, text in enumerate(texts):
        alone = model_set.predict([text])
        for name in models.HEADS:
            assert alone[name][0] == pytest.approx(together[name][index])


@needs_shipped
def test_shipped_models_are_fast_enough() -> None:
    model_set = ModelSet.load()
    texts = [f"今日のランチは{i}番目のお店で、店員さんの対応がとても良かったです" for i in range(5000)]
    model_set.predict(texts[:100])
    started = time.process_time()
    model_set.predict(texts)
    per_post = (time.process_time() - started) / len(texts)
    # The budget is ~15-20 microseconds per post; allow slack for a loaded CI machine.
    assert per_post < 60e-6, f"{per_post * 1e6:.1f} µs per post"


@pytest.mark.parametrize("use_idf", [False, True])
def test_run_time_scores_equal_the_training_models_decision(use_idf: bool) -> None:
    """The featuriser at run time and the sparse matrix at training time must give the same logits."""
    pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression

    from hikeshi.analysis.training.fit import (
        Lexicon,
        LinearSettings,
        feature_matrix,
        fit_linear_head,
        inverse_document_frequency,
    )

    texts = [
        "お前は悪い奴だ",
        "今日は晴れ",
        "悪口を言うな、クズ",
        "ランチが美味しい",
        "クズは消えろ",
        "散歩した",
    ] * 3
    labels = np.array([1, 0, 1, 0, 1, 0] * 3)
    settings = LinearSettings(orders=(1, 2, 3), bits=12, c=10.0, class_weight=None, calibration="platt")
    lexicon = Lexicon.build([(0, "クズ"), (1, "悪い")], settings.orders)
    idf = inverse_document_frequency(texts, settings.orders, settings.bits) if use_idf else None
    x = feature_matrix(texts, settings.orders, settings.bits, lexicon, idf)
    reference = LogisticRegression(C=settings.c, max_iter=3000).fit(x, labels)
    head = fit_linear_head(
        "toxicity", x, labels, settings, reference.decision_function(x), labels, lexicon=lexicon, idf=idf
    )
    unseen = ["悪いクズだな", "晴れて嬉しい"]
    run_time = head.raw_scores(hash_ngrams(unseen, settings.orders, settings.bits), len(unseen))
    expected = reference.decision_function(
        feature_matrix(unseen, settings.orders, settings.bits, lexicon, idf)
    )
    assert run_time == pytest.approx(expected, abs=1e-4)
    probs = head.calibrate(run_time)
    assert probs[0] > 0.5 > probs[1]


def test_the_category_file_encoding_is_lossless(tmp_path: pathlib.Path) -> None:
    from hikeshi.analysis.models import DEFAULT_MODEL_DIR, load_category_head, save_category_head

    shipped = DEFAULT_MODEL_DIR / "category.npz"
    if not shipped.is_file():
        pytest.skip("models not built")
    head = load_category_head(shipped)
    copy = tmp_path / "category.npz"
    save_category_head(copy, head)
    again = load_category_head(copy)
    for name in ("rows", "weights", "bias", "lexicon_hashes", "lexicon_members", "platt", "thresholds"):
        before, after = getattr(head, name), getattr(again, name)
        assert before.dtype == after.dtype and np.array_equal(before, after), name
    with np.load(copy) as packed:
        assert "used_bucket_gaps" in packed.files and "weights" not in packed.files


def test_quantised_category_weights_are_stored_as_int8_steps_and_read_back_exactly(
    tmp_path: pathlib.Path,
) -> None:
    import dataclasses

    from hikeshi.analysis.models import (
        WEIGHT_LEVELS,
        load_category_head,
        quantized_category_weights,
        save_category_head,
    )

    rng = np.random.default_rng(7)
    n_codes, bits = 3, 10
    weights = (rng.standard_normal((200, n_codes)) * [0.01, 1.0, 40.0]).astype(np.float32)
    weights[0] = 0.0  # row 0: buckets no training text had
    quantized = quantized_category_weights(weights)
    assert np.array_equal(quantized_category_weights(quantized), quantized)  # idempotent
    step = np.abs(weights).max(axis=0) / WEIGHT_LEVELS
    assert np.all(np.abs(quantized - weights) <= step / 2 + 1e-6)
    rows = np.zeros(1 << bits, dtype=np.int32)
    rows[np.sort(rng.choice(1 << bits, 199, replace=False))] = np.arange(1, 200)
    head = models.CategoryHead(
        codes=("a", "b", "c"),
        orders=(1, 2),
        bits=bits,
        rows=rows,
        weights=quantized,
        bias=np.zeros(n_codes),
        lexicon_hashes=np.zeros(0, dtype=np.uint64),
        lexicon_members=np.zeros((0, n_codes), dtype=np.bool_),
        lexicon_weights=np.zeros((n_codes, n_codes)),
        platt=np.tile([1.0, 0.0], (n_codes, 1)),
        thresholds=np.full(n_codes, 0.5),
    )
    path = tmp_path / "category.npz"
    save_category_head(path, head)
    with np.load(path) as stored:
        assert stored["weight_steps"].dtype == np.int8 and "weights_low_bytes" not in stored.files
    again = load_category_head(path)
    assert np.array_equal(again.weights, quantized) and np.array_equal(again.rows, rows)
    # weights that are not quantised keep the float16 planes
    save_category_head(path, dataclasses.replace(head, weights=weights))
    with np.load(path) as stored:
        assert "weights_low_bytes" in stored.files and "weight_steps" not in stored.files


def test_model_card_names_the_lexicon_the_models_were_trained_with() -> None:
    from hikeshi.analysis.training.card import render_model_card

    info = json.loads((SHIPPED / "model_info.json").read_text(encoding="utf-8"))
    info.pop("lexicon_version", None)
    assert "; lexicon" not in render_model_card(info)  # files trained before the field existed
    info["lexicon_version"] = "concepts 2026.11.10, rules 2026.11.10, modifiers 2026.11.10"
    assert "; lexicon concepts 2026.11.10, rules 2026.11.10" in render_model_card(info)
