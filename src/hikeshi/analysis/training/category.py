"""The category head: one-vs-rest logistic regression over the shared hashed n-grams, Platt-calibrated.

Training rows (``category_rows``):
- the team's category rows (``category_team.jsonl``, ``category_team/*.jsonl``): fully labelled, an empty
  label list is benign for every category;
- the toxicity team rows: abusive rows are ``harassment_abuse`` (unknown for ``discrimination`` and
  ``inappropriate_expression``, which slurs and sexual remarks may also be), ordinary rows are negative for
  every category except the two complaint categories (the file holds complaints without abuse);
- the wrongdoing team rows: confessions are unknown for the act categories and negative for the others;
  ordinary posts are negative for every category.
- the development cases (``evalcases/dev/``, when ``train_on_dev`` is set, as ``make train`` does): a risky
  case is positive for its category and negative for the others, a benign case negative for every category.
  They are written like the test cases (SNS posts), which the team rows are not; in a 5-fold cross-validation
  over them, training on them raised the head alone (see docs/analysis-evaluation-history.md, "Fifth session").
An unknown label leaves the row out of that category's model. Each category's model is calibrated (Platt) on
its out-of-fold scores; the probability from which the analyzer reports a category without rule evidence is
chosen on held-out probabilities: the out-of-fold ones of every training row (development cases included), or
without ``train_on_dev`` the final model's on the development cases with the team rows' out-of-fold ones; never
on the test cases.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from hikeshi.analysis.lexicon import load_lexicon as load_rules_lexicon
from hikeshi.analysis.models import (
    CategoryHead,
    category_lexicon_hits,
    hash_ngrams,
    normalise,
    quantized_category_weights,
    term_hashes,
)
from hikeshi.analysis.taxonomy import CATEGORY_CODES
from hikeshi.analysis.training.data import MultiLabelled, load_category_team, load_team_sentences

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Log = Callable[[str], None]

UNKNOWN = -1
FOLDS = 5
SEED = 20260101
DEV_CASES_DIR = pathlib.Path(__file__).resolve().parent.parent / "evalcases" / "dev"


@dataclass(frozen=True)
class CategorySettings:
    orders: tuple[int, ...] = (1, 2, 3, 4)
    bits: int = 18
    # Mean out-of-fold average precision 0.603 at C=8, 0.624 at 32, 0.635 at 128 (dev: 0.961, 0.968, 0.971).
    c: float = 32.0
    class_weight: str | None = "balanced"
    min_positives: int = 3  # fewer known positives: the category gets no model (it never fires alone)
    threshold_floor: float = 0.5  # a category is never reported by the model alone below this probability
    max_benign_share: float = 0.03  # of the held-out benign rows, the model alone may flag at most this share
    # "shared": one budget for all categories (the greedy step takes it where it buys most recall);
    # "per_category": each category may flag at most max_benign_share / 12 of the benign rows itself, so hard
    # negatives of one category cannot spend another's share.
    benign_budget: str = "shared"
    candidates_per_step: int = 8
    # The shipped file must stay under 2 MiB: only the n-gram buckets with the largest weights are kept (with
    # 3,999 team rows about 139,000 buckets carried a weight and 100,000 gave 1.9 MB; with 6,120 rows 100,000
    # gave 2.09 MB, at the limit; about 21 bytes a bucket).
    max_buckets: int = 90_000
    # "float16", or "int8": steps of one scale per category (models.quantized_category_weights), a quarter of the
    # float16 file, which leaves room for more buckets under the 2 MiB limit.
    weight_encoding: str = "float16"
    # The development cases become training rows (their figure is then a cross-validation, not a held-out one).
    train_on_dev: bool = True
    dev_weight: float = 1.0  # sample weight of a development case (a team row weighs 1)
    # Development files (by name ending) that stay out of training and the thresholds: the pass 8 cases were
    # written after the shipped head and training on them measured no better (docs/analysis-evaluation-history.md,
    # "Pass 8"); they are measured with `hikeshi eval --cases evalcases/dev` like the others.
    dev_not_trained: tuple[str, ...] = ("_p8",)


CATEGORY_SETTINGS = CategorySettings()


DEV_SOURCE = "dev_cases"


@dataclass(frozen=True)
class CategoryRows:
    texts: list[str]
    targets: npt.NDArray[np.int8]  # (rows, codes): 1, 0 or UNKNOWN
    sources: list[str]
    weights: FloatArray | None = None  # per-row sample weight; None: every row weighs 1

    def row_weights(self) -> FloatArray:
        return np.ones(len(self.texts)) if self.weights is None else self.weights

    def __add__(self, other: CategoryRows) -> CategoryRows:
        return CategoryRows(
            self.texts + other.texts,
            np.vstack([self.targets, other.targets]),
            self.sources + other.sources,
            None
            if self.weights is None and other.weights is None
            else np.concatenate([self.row_weights(), other.row_weights()]),
        )


def _row(positive: Sequence[str] = (), unknown: Sequence[str] = ()) -> list[int]:
    return [1 if code in positive else UNKNOWN if code in unknown else 0 for code in CATEGORY_CODES]


def category_rows(team: MultiLabelled | None = None) -> CategoryRows:
    """Every training row with its per-category target (1, 0 or unknown)."""
    team = load_category_team(CATEGORY_CODES) if team is None else team
    texts: list[str] = []
    targets: list[list[int]] = []
    sources: list[str] = []
    for text, labels in zip(team.texts, team.labels, strict=True):
        texts.append(text)
        targets.append(_row(labels))
        sources.append("category_team")
    toxicity = load_team_sentences("toxicity_team.tsv")
    for text, label in zip(toxicity.texts, toxicity.labels, strict=True):
        texts.append(text)
        if label:
            targets.append(_row(["harassment_abuse"], ["discrimination", "inappropriate_expression"]))
        else:
            targets.append(_row((), ["workplace_complaint", "complaint_quality"]))
        sources.append("toxicity_team")
    wrongdoing = load_team_sentences("wrongdoing_team.tsv")
    acts = ["illegal_act", "misconduct_workplace", "safety_incident", "inappropriate_expression"]
    for text, label in zip(wrongdoing.texts, wrongdoing.labels, strict=True):
        texts.append(text)
        targets.append(_row((), acts) if label else _row())
        sources.append("wrongdoing_team")
    return CategoryRows(texts, np.array(targets, dtype=np.int8).reshape(-1, len(CATEGORY_CODES)), sources)


def category_lexicon(orders: Sequence[int]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """The rules' terms of each category short enough to be one hashed n-gram: sorted hashes, membership."""
    lexicon = load_rules_lexicon()
    concepts = {concept.name: concept for concept in lexicon.concepts}
    members: dict[int, set[int]] = {}
    longest = max(orders)
    for rule in lexicon.rules:
        column = CATEGORY_CODES.index(rule.category)
        for name in rule.concepts:
            concept = concepts.get(name)
            if concept is None:
                continue
            for term in concept.terms:
                if 1 <= len(normalise(term)) <= longest and len(normalise(term)) in orders:
                    members.setdefault(int(term_hashes([term])[0]), set()).add(column)
    hashes = np.array(sorted(members), dtype=np.uint64)
    matrix = np.zeros((hashes.size, len(CATEGORY_CODES)), dtype=np.bool_)
    for row, digest in enumerate(hashes.tolist()):
        matrix[row, sorted(members[digest])] = True
    return hashes, matrix


def category_features(
    texts: Sequence[str],
    settings: CategorySettings,
    hashes: npt.NDArray[np.uint64],
    members: npt.NDArray[np.bool_],
) -> sp.csr_matrix:
    """What ``CategoryHead.raw_scores`` sees: n-gram counts / sqrt(n-grams), then log(1 + hits) per category."""
    batch = hash_ngrams(texts, settings.orders, settings.bits)
    ngrams = sp.csr_matrix(
        (batch.scale[batch.docs], (batch.docs, batch.buckets)), shape=(len(texts), 1 << settings.bits)
    )
    hits = np.log1p(category_lexicon_hits(batch, hashes, members, len(texts)))
    return sp.hstack([ngrams, sp.csr_matrix(hits)]).tocsr()


def _fit(x: sp.csr_matrix, y: IntArray, settings: CategorySettings, weight: FloatArray) -> LogisticRegression:
    # liblinear on the columns some training row uses: about 20x faster than lbfgs on all 2^18 buckets
    # here, for the same decision (its intercept is lightly regularised, which the calibration absorbs).
    model = LogisticRegression(
        C=settings.c, class_weight=settings.class_weight, solver="liblinear", max_iter=1000
    )
    model.fit(x, y, sample_weight=weight)
    return model


def _platt(scores: FloatArray, y: IntArray) -> tuple[float, float]:
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(scores.reshape(-1, 1), y)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


@dataclass(frozen=True)
class FittedCategories:
    head: CategoryHead
    oof_probabilities: FloatArray  # (rows, codes), NaN where the label is unknown or the code has no model
    targets: npt.NDArray[np.int8]


def fit_categories(rows: CategoryRows, settings: CategorySettings) -> FittedCategories:
    """One logistic model per category on its known rows, Platt on 5-fold out-of-fold scores."""
    hashes, members = category_lexicon(settings.orders)
    full = category_features(rows.texts, settings, hashes, members)
    n_buckets = 1 << settings.bits
    n_codes = len(CATEGORY_CODES)
    # Columns no training row uses get weight 0 anyway: fit on the used ones only.
    columns = np.unique(full.indices)
    x = full[:, columns].tocsr()
    used_coef = np.zeros((columns.size, n_codes), dtype=np.float64)
    bias = np.full(n_codes, -10.0)
    platt = np.tile([1.0, 0.0], (n_codes, 1))
    oof = np.full((len(rows.texts), n_codes), np.nan)
    row_weights = rows.row_weights()
    for column in range(n_codes):
        known = np.flatnonzero(rows.targets[:, column] != UNKNOWN)
        y: IntArray = rows.targets[known, column].astype(np.int64)
        positives = int(y.sum())
        if positives < settings.min_positives or positives == y.size:
            continue
        x_known, w_known = x[known], row_weights[known]
        scores = np.zeros(known.size)
        folds = StratifiedKFold(n_splits=min(FOLDS, positives), shuffle=True, random_state=SEED)
        for train_idx, test_idx in folds.split(np.zeros(known.size), y):
            model = _fit(x_known[train_idx], y[train_idx], settings, w_known[train_idx])
            scores[test_idx] = model.decision_function(x_known[test_idx])
        a, b = _platt(scores, y)
        platt[column] = (a, b)
        oof[known, column] = 1.0 / (1.0 + np.exp(-(a * scores + b)))
        model = _fit(x_known, y, settings, w_known)
        used_coef[:, column] = model.coef_[0]
        bias[column] = float(model.intercept_[0])
    coef = np.zeros((n_buckets + n_codes, n_codes), dtype=np.float64)
    coef[columns] = used_coef
    ngram_coef = coef[:n_buckets]
    used = np.flatnonzero(np.any(ngram_coef != 0.0, axis=1))
    if used.size > settings.max_buckets:
        strongest = np.abs(ngram_coef[used]).max(axis=1)
        # stable order: ties keep the lower bucket, so the same data gives the same file
        keep = np.argsort(-strongest, kind="stable")[: settings.max_buckets]
        used = np.sort(used[keep])
    table = np.zeros(n_buckets, dtype=np.int32)
    table[used] = np.arange(1, used.size + 1, dtype=np.int32)
    # Stored as float16 (half the file); rounded here already so that the thresholds, the figures and the
    # equality tests all see exactly the shipped weights (relative rounding error at most 2**-11 per weight).
    weights = np.vstack([np.zeros((1, n_codes)), ngram_coef[used]]).astype(np.float16).astype(np.float32)
    if settings.weight_encoding == "int8":
        weights = quantized_category_weights(weights)
    elif settings.weight_encoding != "float16":
        raise ValueError(f"unknown weight encoding {settings.weight_encoding!r}")
    head = CategoryHead(
        codes=CATEGORY_CODES,
        orders=settings.orders,
        bits=settings.bits,
        rows=table,
        weights=weights,
        bias=bias,
        lexicon_hashes=hashes,
        lexicon_members=members,
        lexicon_weights=coef[n_buckets:].copy(),
        platt=platt,
        thresholds=np.full(n_codes, 1.01),
    )
    return FittedCategories(head, oof, rows.targets)


def category_probabilities(head: CategoryHead, texts: Sequence[str]) -> FloatArray:
    """(texts, codes) calibrated probabilities, computed exactly as ``ModelSet.predict`` does."""
    batch = hash_ngrams(texts, head.orders, head.bits)
    return head.calibrate(head.raw_scores(batch, len(texts)))


@dataclass(frozen=True)
class DevCases:
    texts: list[str]
    category: list[str | None]
    risky: list[bool]


def load_dev_cases(directory: pathlib.Path = DEV_CASES_DIR, skip_suffixes: tuple[str, ...] = ()) -> DevCases:
    from hikeshi.analysis.evaluate import load_cases

    cases = load_cases(directory, skip_suffixes=skip_suffixes)
    return DevCases([c.text for c in cases], [c.category for c in cases], [c.risky for c in cases])


def dev_case_rows(dev: DevCases, weight: float = 1.0) -> CategoryRows:
    """The development cases as training rows, fully labelled like the team's category rows: a risky case is
    positive for its category and negative for the others, a benign case negative for every category."""
    targets = [
        _row([code] if risky and code else []) for code, risky in zip(dev.category, dev.risky, strict=True)
    ]
    return CategoryRows(
        list(dev.texts),
        np.array(targets, dtype=np.int8).reshape(-1, len(CATEGORY_CODES)),
        [DEV_SOURCE] * len(dev.texts),
        np.full(len(dev.texts), weight),
    )


def choose_thresholds(
    probabilities: FloatArray,
    dev: DevCases,
    settings: CategorySettings,
    fitted: FittedCategories | None = None,
) -> tuple[FloatArray, dict[str, object]]:
    """Per-category thresholds for the model alone, chosen greedily on held-out probabilities.

    The pool: the development cases (their probabilities from the final model, which never saw them) and,
    when ``fitted`` is given, the training rows' out-of-fold probabilities (from models that never saw the
    row) — about ten times more benign posts than the development set has, so the false-alarm estimate is
    steadier. Every category starts switched off (threshold above 1). Each step lowers one category's
    threshold to one of its next risky probabilities (never under ``threshold_floor``), taking the move that
    detects most new risky rows per benign row newly flagged (by any category), while the benign rows
    flagged stay within ``max_benign_share`` of the pool. A threshold lands halfway between the risky row it
    admits and the next lower probability, so it is not fitted to the last digit.
    Returns the thresholds and the development figures of the model alone at them.
    """
    n_codes = len(CATEGORY_CODES)
    dev_benign = np.array([not r for r in dev.risky])
    dev_positives = np.array(
        [[r and c == code for r, c in zip(dev.risky, dev.category, strict=True)] for code in CATEGORY_CODES]
    ).T  # (cases, codes)
    pool_p, pool_pos, pool_benign = probabilities, dev_positives, dev_benign
    if fitted is not None:
        known = ~np.isnan(fitted.oof_probabilities)
        oof = np.where(known, fitted.oof_probabilities, -1.0)
        oof_pos = (fitted.targets == 1) & known
        oof_benign = ~np.any(fitted.targets == 1, axis=1)
        pool_p = np.vstack([probabilities, oof])
        pool_pos = np.vstack([dev_positives, oof_pos])
        pool_benign = np.concatenate([dev_benign, oof_benign])
    budget = int(settings.max_benign_share * pool_benign.sum())
    if settings.benign_budget not in ("shared", "per_category"):
        raise ValueError(f"unknown benign budget {settings.benign_budget!r}")
    own_budget = budget // n_codes if settings.benign_budget == "per_category" else budget
    own_spent = np.zeros(n_codes, dtype=np.int64)
    thresholds = np.full(n_codes, 1.01)
    hits = np.zeros(pool_p.shape, dtype=np.bool_)
    flagged_per_row = np.zeros(pool_p.shape[0], dtype=np.int64)
    benign_flagged = 0
    while True:
        best: tuple[float, int, float] | None = None
        for column in range(n_codes):
            p = pool_p[:, column]
            candidates = np.unique(p[pool_pos[:, column] & (p < thresholds[column])])[::-1]
            for value in candidates[: settings.candidates_per_step]:
                below = p[(p < value) & (p >= 0.0)]
                cut = max(settings.threshold_floor, (value + float(below.max())) / 2 if below.size else value)
                if cut > value:
                    break
                new = (p >= cut) & ~hits[:, column]
                cost = int((new & pool_benign & (flagged_per_row == 0)).sum())
                if (
                    benign_flagged + cost > budget
                    or own_spent[column] + int((new & pool_benign).sum()) > own_budget
                ):
                    break
                gain = int((new & pool_pos[:, column]).sum())
                score = gain / (cost + 0.5)
                if gain > 0 and (best is None or score > best[0]):
                    best = (score, column, cut)
        if best is None:
            break
        _, column, cut = best
        new = (pool_p[:, column] >= cut) & ~hits[:, column]
        benign_flagged += int((new & pool_benign & (flagged_per_row == 0)).sum())
        own_spent[column] += int((new & pool_benign).sum())
        flagged_per_row += new
        hits[:, column] |= new
        thresholds[column] = cut
    dev_hits: npt.NDArray[np.bool_] = np.asarray(probabilities >= thresholds)
    any_hit: npt.NDArray[np.bool_] = np.asarray(dev_hits.any(axis=1))
    figures: dict[str, object] = {}
    for column, code in enumerate(CATEGORY_CODES):
        figures[code] = {
            "threshold": round(float(thresholds[column]), 4),
            "dev_recall": round(float(dev_hits[dev_positives[:, column], column].mean()), 4)
            if dev_positives[:, column].any()
            else None,
            "dev_benign_flagged": int((dev_hits[:, column] & dev_benign).sum()),
        }
    figures["dev_benign_flagged_share"] = (
        round(float(any_hit[dev_benign].mean()), 4) if dev_benign.any() else None
    )
    figures["pool_benign_flagged_share"] = round(benign_flagged / max(int(pool_benign.sum()), 1), 4)
    figures["pool_benign_rows"] = int(pool_benign.sum())
    return thresholds, figures


def thresholds_from_out_of_fold(
    fitted: FittedCategories, rows: CategoryRows, dev: DevCases, settings: CategorySettings
) -> tuple[FloatArray, dict[str, object]]:
    """``choose_thresholds`` on the out-of-fold probabilities of every training row, when the development cases
    are among the rows (``dev`` holds them in the order of the rows from ``DEV_SOURCE``): the final model saw
    them, so only their out-of-fold probabilities are held out. The "dev" figures returned are out-of-fold."""
    is_dev = np.array([source == DEV_SOURCE for source in rows.sources], dtype=np.bool_)
    if int(is_dev.sum()) != len(dev.texts):
        raise ValueError(
            f"{int(is_dev.sum())} development rows among the training rows, {len(dev.texts)} cases"
        )
    others = FittedCategories(fitted.head, fitted.oof_probabilities[~is_dev], fitted.targets[~is_dev])
    dev_oof = np.nan_to_num(fitted.oof_probabilities[is_dev], nan=-1.0)
    return choose_thresholds(dev_oof, dev, settings, others)


def cross_validated_report(fitted: FittedCategories) -> dict[str, object]:
    """Per category on the training rows' out-of-fold probabilities: average precision and recall/precision
    at 0.5 (a model and calibrator that never saw the row; the calibrator itself was fitted on these scores)."""
    report: dict[str, object] = {}
    for column, code in enumerate(CATEGORY_CODES):
        p = fitted.oof_probabilities[:, column]
        known = ~np.isnan(p)
        y = fitted.targets[known, column].astype(np.int64)
        if not known.any() or not y.any():
            report[code] = {"positives": int(y.sum()), "rows": int(known.sum())}
            continue
        q = p[known]
        predicted = q >= 0.5
        tp = int((predicted & (y == 1)).sum())
        report[code] = {
            "rows": int(known.sum()),
            "positives": int(y.sum()),
            "average_precision": round(_average_precision(q, y), 4),
            "precision_at_0_5": round(tp / max(int(predicted.sum()), 1), 4),
            "recall_at_0_5": round(tp / int(y.sum()), 4),
        }
    return report


def _average_precision(scores: FloatArray, y: IntArray) -> float:
    order = np.argsort(-scores, kind="stable")
    hits = y[order] == 1
    precision_at = np.cumsum(hits) / np.arange(1, hits.size + 1)
    return float(precision_at[hits].mean()) if hits.any() else 0.0


def dev_cases_use(settings: CategorySettings) -> str:
    """How the development cases serve the category head, for the model card's data list."""
    if settings.train_on_dev:
        return (
            "training rows (risky: their category; benign: none) and, through their out-of-fold "
            "probabilities, the threshold pool; their figure is a 5-fold cross-validation"
        )
    return "thresholds chosen on them; never trained on"


def threshold_protocol(settings: CategorySettings) -> str:
    """One line for the model card and ``model_info.json``: what the thresholds and dev figures were chosen on."""
    if settings.train_on_dev:
        return (
            "the development cases are training rows (sample weight "
            f"{settings.dev_weight:g}); thresholds chosen on the out-of-fold probabilities of every training row, "
            "and the development figures below are out-of-fold"
        )
    return (
        "thresholds chosen on the development cases (never trained on, scored by the final model) pooled with "
        "the training rows' out-of-fold probabilities"
    )


def train_categories(
    log: Log, settings: CategorySettings = CATEGORY_SETTINGS
) -> tuple[CategoryHead, dict[str, object]]:
    dev = load_dev_cases(skip_suffixes=settings.dev_not_trained)
    rows = category_rows()
    if settings.train_on_dev:
        rows = rows + dev_case_rows(dev, settings.dev_weight)
    known_pos = {code: int((rows.targets[:, i] == 1).sum()) for i, code in enumerate(CATEGORY_CODES)}
    team_rows = sum(1 for s in rows.sources if s == "category_team")
    dev_rows = sum(1 for s in rows.sources if s == DEV_SOURCE)
    log(
        f"category: {len(rows.texts)} rows ({team_rows} from category_team, {dev_rows} development cases); "
        f"positives per code {known_pos}"
    )
    fitted = fit_categories(rows, settings)
    cv = cross_validated_report(fitted)
    log(f"category: 5-fold out-of-fold on the training rows: {cv}")
    if settings.train_on_dev:
        thresholds, dev_figures = thresholds_from_out_of_fold(fitted, rows, dev, settings)
    else:
        dev_probabilities = category_probabilities(fitted.head, dev.texts)
        thresholds, dev_figures = choose_thresholds(dev_probabilities, dev, settings, fitted)
    head = dataclasses.replace(fitted.head, thresholds=thresholds)
    log(f"category: thresholds ({threshold_protocol(settings)}), model alone on evalcases/dev: {dev_figures}")
    metrics: dict[str, object] = {
        "training_rows": len(rows.texts),
        "category_team_rows": team_rows,
        "dev_case_rows": dev_rows,
        "threshold_protocol": threshold_protocol(settings),
        "positives": known_pos,
        "cv_training_rows": cv,
        "dev_thresholds": dev_figures,
        "settings": settings.__dict__,
    }
    return head, metrics
