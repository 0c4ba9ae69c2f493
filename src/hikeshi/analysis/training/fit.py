"""Fitting a head: hashed features, logistic regression, out-of-fold scores and calibration.

Training-time only: scipy and scikit-learn are imported here and nowhere on the run-time path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold

from hikeshi.analysis.models import Head, hash_ngrams, idf_scale, lexicon_hits, normalise, term_hashes

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Lexicon:
    """Sorted 64-bit term hashes with their tier: exact n-gram look-ups, one dense feature per tier."""

    hashes: npt.NDArray[np.uint64]
    tiers: IntArray
    n_tiers: int

    @classmethod
    def build(cls, entries: Sequence[tuple[int, str]], orders: Sequence[int]) -> Lexicon:
        by_hash: dict[int, int] = {}
        for tier, term in entries:
            digest = int(term_hashes([term])[0])
            if by_hash.get(digest, tier) != tier:
                raise ValueError(f"lexicon term {term!r} appears in two tiers")
            by_hash[digest] = tier
        hashes = np.array(sorted(by_hash), dtype=np.uint64)
        tiers = np.array([by_hash[int(h)] for h in hashes], dtype=np.int64)
        lengths = {len(normalise(term)) for _, term in entries}
        missing = sorted(n for n in lengths if n not in orders)
        if missing:
            raise ValueError(
                f"lexicon has terms of {missing} characters but the head only hashes orders {orders}"
            )
        return cls(hashes, tiers, int(tiers.max()) + 1 if tiers.size else 0)


@dataclass(frozen=True)
class LinearSettings:
    orders: tuple[int, ...]
    bits: int
    c: float
    class_weight: str | None
    calibration: str  # "platt" or "isotonic"
    tfidf: bool = False
    extra_weight: float = 1.0  # sample weight of team-written rows next to the public dataset's rows
    # "lbfgs" on all buckets, or "liblinear" on the buckets some training row uses (the same L2 model up to
    # liblinear's penalised intercept; much faster when rows are few and buckets many).
    solver: str = "lbfgs"


def inverse_document_frequency(texts: Sequence[str], orders: Sequence[int], bits: int) -> FloatArray:
    """Smoothed idf per bucket, ``ln((1 + N) / (1 + df)) + 1``, from (unlabelled) training texts."""
    batch = hash_ngrams(texts, orders, bits)
    pairs = np.unique(batch.docs * (1 << bits) + batch.buckets)
    df = np.bincount(pairs % (1 << bits), minlength=1 << bits)
    idf: FloatArray = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
    return idf


def feature_matrix(
    texts: Sequence[str],
    orders: Sequence[int],
    bits: int,
    lexicon: Lexicon | None = None,
    idf: FloatArray | None = None,
) -> sp.csr_matrix:
    """The exact features the run-time scorer uses: bucket counts (times idf, when given) scaled to unit
    L2 norm per text (without idf: by 1/sqrt(n-grams)), then one column of log(1 + hits) per lexicon tier."""
    batch = hash_ngrams(texts, orders, bits)
    if idf is None:
        values = batch.scale[batch.docs]
    else:
        values = idf[batch.buckets] * idf_scale(batch, idf**2, len(texts))[batch.docs]
    ngrams = sp.csr_matrix((values, (batch.docs, batch.buckets)), shape=(len(texts), 1 << bits))
    if lexicon is None or not lexicon.n_tiers:
        return ngrams
    hits = lexicon_hits(batch, lexicon.hashes, lexicon.tiers, lexicon.n_tiers, len(texts))
    return sp.hstack([ngrams, sp.csr_matrix(np.log1p(hits))]).tocsr()


@dataclass(frozen=True)
class FittedLinear:
    """A fitted linear model over all columns of ``x`` (weights of unused columns are zero)."""

    coef: FloatArray
    intercept: float

    def decision_function(self, x: sp.csr_matrix) -> FloatArray:
        out: FloatArray = np.asarray(x @ self.coef, dtype=np.float64) + self.intercept
        return out


def _fit_lr(
    x: sp.csr_matrix, y: IntArray, settings: LinearSettings, sample_weight: FloatArray | None = None
) -> FittedLinear:
    if settings.solver == "liblinear":
        used = np.unique(x.indices)
        model = LogisticRegression(
            C=settings.c, class_weight=settings.class_weight, solver="liblinear", max_iter=3000
        )
        model.fit(x[:, used], y, sample_weight=sample_weight)
        coef = np.zeros(x.shape[1], dtype=np.float64)
        coef[used] = model.coef_[0]
        return FittedLinear(coef, float(model.intercept_[0]))
    model = LogisticRegression(C=settings.c, class_weight=settings.class_weight, max_iter=3000)
    model.fit(x, y, sample_weight=sample_weight)
    return FittedLinear(np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0]))


def out_of_fold_scores(
    x: sp.csr_matrix,
    y: IntArray,
    settings: LinearSettings,
    *,
    folds: int,
    seed: int,
    groups: IntArray | None = None,
    extra_x: sp.csr_matrix | None = None,
    extra_y: IntArray | None = None,
) -> FloatArray:
    """Raw scores of every row from a model that did not see it (extra rows always train, never score).

    ``groups`` keeps rows of a group (a minimal pair) in the same fold, so a pair cannot leak.
    """
    scores = np.zeros(x.shape[0], dtype=np.float64)
    if groups is not None:
        splits = GroupKFold(n_splits=folds).split(x, y, groups)
    else:
        splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y)
    for train_idx, test_idx in splits:
        fold_x, fold_y = x[train_idx], y[train_idx]
        weight = np.ones(len(train_idx))
        if extra_x is not None and extra_y is not None:
            fold_x = sp.vstack([fold_x, extra_x]).tocsr()
            fold_y = np.concatenate([fold_y, extra_y])
            weight = np.concatenate([weight, np.full(extra_x.shape[0], settings.extra_weight)])
        model = _fit_lr(fold_x, fold_y, settings, weight)
        scores[test_idx] = model.decision_function(x[test_idx])
    return scores


def calibration_curve(scores: FloatArray, y: IntArray, method: str) -> tuple[FloatArray, FloatArray]:
    """A monotone score->probability table for ``np.interp``, fitted on out-of-fold scores."""
    if method == "platt":
        platt = LogisticRegression(C=1e6, max_iter=1000).fit(scores.reshape(-1, 1), y)
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        low, high = float(scores.min()) - 10.0, float(scores.max()) + 10.0
        grid = np.linspace(low, high, 1025)
        return grid, 1.0 / (1.0 + np.exp(-(a * grid + b)))
    if method == "isotonic":
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, y)
        xs = np.asarray(iso.X_thresholds_, dtype=np.float64)
        ys = np.asarray(iso.y_thresholds_, dtype=np.float64)
        # Keep probabilities off exact 0/1: a calibrated "certain" is never earned by a linear model.
        return xs, np.clip(ys, 0.005, 0.995)
    raise ValueError(f"unknown calibration method {method!r}")


def fit_linear_head(
    name: str,
    x: sp.csr_matrix,
    y: IntArray,
    settings: LinearSettings,
    calibration_scores: FloatArray,
    calibration_labels: IntArray,
    lexicon: Lexicon | None = None,
    idf: FloatArray | None = None,
    sample_weight: FloatArray | None = None,
) -> Head:
    """The final head: trained on all of ``x``; calibrated on out-of-fold scores of the same recipe.

    With idf, the stored weights are coefficient x idf, so run time sums them and divides by the norm.
    """
    model = _fit_lr(x, y, settings, sample_weight)
    coef = model.coef
    n_buckets = 1 << settings.bits
    ngram_weights = coef[:n_buckets] if idf is None else coef[:n_buckets] * idf
    arrays: dict[str, npt.NDArray[Any]] = {
        "weights": ngram_weights.astype(np.float32),
        "bias": np.array(model.intercept, dtype=np.float64),
    }
    if lexicon is not None and lexicon.n_tiers:
        arrays["lexicon_hashes"] = lexicon.hashes
        arrays["lexicon_tiers"] = lexicon.tiers
        arrays["lexicon_weights"] = coef[n_buckets:].astype(np.float64)
    if idf is not None:
        arrays["idf_squared"] = (idf**2).astype(np.float32)
    calib_x, calib_p = calibration_curve(calibration_scores, calibration_labels, settings.calibration)
    return Head(name, settings.orders, settings.bits, "linear", arrays, calib_x, calib_p)
