"""Training the category head on the development cases too: their rows, weights, thresholds and model card."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hikeshi.analysis import models
from hikeshi.analysis.taxonomy import CATEGORY_CODES
from tests.analysis.test_category_model import _toy_rows

pytest.importorskip("sklearn")

from hikeshi.analysis.training import category
from hikeshi.analysis.training.category import (
    DEV_SOURCE,
    CategoryRows,
    CategorySettings,
    DevCases,
    FittedCategories,
    choose_thresholds,
    dev_case_rows,
    fit_categories,
    thresholds_from_out_of_fold,
)

LEAK = CATEGORY_CODES.index("confidential_leak")
COMPLAINT = CATEGORY_CODES.index("workplace_complaint")


def test_dev_cases_become_fully_labelled_weighted_rows() -> None:
    dev = DevCases(["社外秘を流出", "お店の新作"], ["confidential_leak", "confidential_leak"], [True, False])
    rows = dev_case_rows(dev, weight=2.0)
    assert rows.targets[0].tolist() == [int(i == LEAK) for i in range(len(CATEGORY_CODES))]
    assert rows.targets[1].tolist() == [0] * len(CATEGORY_CODES)  # a hard negative: benign for every code
    assert rows.sources == [DEV_SOURCE] * 2 and rows.row_weights().tolist() == [2.0, 2.0]


def test_joined_rows_keep_order_and_weights() -> None:
    texts, targets = _toy_rows()
    team = CategoryRows(texts, targets, ["test"] * len(texts))
    assert team.weights is None and (team + team).weights is None
    dev = dev_case_rows(DevCases(["店長むり"], ["workplace_complaint"], [True]), weight=3.0)
    joined = team + dev
    assert joined.texts[-1] == "店長むり" and joined.sources[-1] == DEV_SOURCE
    assert joined.targets.shape == (len(texts) + 1, len(CATEGORY_CODES))
    assert joined.row_weights().tolist() == [1.0] * len(texts) + [3.0]


def test_sample_weights_reach_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the rules' lexicon features: building them is most of a toy fit's time and they play no part here.
    no_terms = (np.zeros(0, dtype=np.uint64), np.zeros((0, len(CATEGORY_CODES)), dtype=np.bool_))
    monkeypatch.setattr(category, "category_lexicon", lambda orders: no_terms)
    texts, targets = _toy_rows()
    settings = CategorySettings(bits=14, min_positives=3)
    plain = fit_categories(CategoryRows(texts, targets, ["t"] * len(texts)), settings).head
    ones = fit_categories(
        CategoryRows(texts, targets, ["t"] * len(texts), np.ones(len(texts))), settings
    ).head
    assert np.array_equal(plain.weights, ones.weights) and np.array_equal(plain.bias, ones.bias)
    heavy = np.where(targets[:, COMPLAINT] == 1, 5.0, 1.0)
    weighted = fit_categories(CategoryRows(texts, targets, ["t"] * len(texts), heavy), settings).head
    assert weighted.bias[COMPLAINT] != plain.bias[COMPLAINT]


def test_thresholds_come_from_the_out_of_fold_probabilities_of_the_dev_rows() -> None:
    """With the development cases among the rows, the pool is every row's out-of-fold probability: the same
    thresholds as ``choose_thresholds`` given the dev rows' out-of-fold probabilities and the other rows."""
    rng = np.random.default_rng(5)
    n_codes = len(CATEGORY_CODES)
    team_targets = np.zeros((40, n_codes), dtype=np.int8)
    team_targets[:20, LEAK] = 1
    dev = DevCases(["d"] * 30, ["confidential_leak"] * 30, [True] * 20 + [False] * 10)
    rows = CategoryRows(["t"] * 40, team_targets, ["test"] * 40) + dev_case_rows(dev)
    oof = rng.uniform(0.0, 0.4, size=(70, n_codes))
    oof[rows.targets[:, LEAK] == 1, LEAK] = rng.uniform(0.6, 1.0, size=40)
    oof[:, COMPLAINT] = np.nan  # a code without a model
    head = object.__new__(models.CategoryHead)  # never read by the threshold choice
    fitted = FittedCategories(head, oof, rows.targets)
    settings = CategorySettings(max_benign_share=0.05)
    thresholds, figures = thresholds_from_out_of_fold(fitted, rows, dev, settings)
    others = FittedCategories(head, oof[:40], rows.targets[:40])
    expected, _ = choose_thresholds(np.nan_to_num(oof[40:], nan=-1.0), dev, settings, others)
    assert np.array_equal(thresholds, expected)
    assert thresholds[COMPLAINT] > 1.0 and thresholds[LEAK] <= 0.6
    leak_figures = figures["confidential_leak"]
    assert isinstance(leak_figures, dict) and leak_figures["dev_recall"] == 1.0
    with pytest.raises(ValueError, match="development rows"):
        thresholds_from_out_of_fold(fitted, rows, DevCases(["d"], ["confidential_leak"], [True]), settings)


def test_model_card_says_the_dev_cases_were_trained_on() -> None:
    from hikeshi.analysis.training.card import render_model_card

    info = json.loads((models.DEFAULT_MODEL_DIR / "model_info.json").read_text(encoding="utf-8"))
    category = info["metrics"]["category"]
    category["dev_case_rows"] = 1953
    category["threshold_protocol"] = "the development cases are training rows"
    card = render_model_card(info)
    assert "1953 development cases" in card and "Protocol: the development cases are training rows." in card
