"""Per-organisation adjustment learned from the operators' feedback (``PostFeedback``).

Operators mark posts 「リスクあり」/「リスクなし」 and may name a category. For each organisation a small
logistic model is trained on the hashed character n-grams of those posts (the analysis engine's own
featuriser, ``hikeshi.analysis.models.hash_ngrams``): one head for "risky" and one per category
operators named. The heads have no intercept, so a post that shares nothing with the feedback scores
exactly 0.5 and is left as the engine judged it; a post like the ones marked "not risky" loses risk, a
post like the ones marked "risky" gains it (at most ``MAX_SHIFT``), and a post like the ones given a
category gets that category. The pipeline applies the adjustment when it judges that organisation's
mentions; the post's own judgement (shared by every organisation) is never changed.

Training runs from the periodic task ``train_feedback_models`` and only for organisations whose
feedback changed since the last training (compared by a fingerprint of the feedback rows).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from hikeshi.analysis import CATEGORY_CODES
from hikeshi.analysis.models import hash_ngrams
from hikeshi.analysis.taxonomy import level_for
from hikeshi.monitoring.models import FeedbackModel, FeedbackVerdict, PostFeedback

logger = logging.getLogger(__name__)

TRAINING_VERSION = 1
"""Part of the fingerprint: a change of the training below retrains every organisation once."""
ORDERS = (2, 3)
HASH_BITS = 18
MAX_EXAMPLES = 5000
"""The most recent posts with feedback used for training (bounds time and memory per organisation)."""
ITERATIONS = 300
LEARNING_RATE = 2.0
L2 = 0.01
MIN_EXAMPLES = 2
"""Posts with a usable label a head needs: one post cannot tell its story from the organisation's name."""
MAX_SHIFT = 0.3
"""The largest change of risk the adjustment makes (at probability 0 or 1)."""
CATEGORY_THRESHOLD = 0.6
RISKY = "risky"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    risky: bool | None
    """Majority verdict of the operators; None on a tie (then the post trains only categories)."""
    categories: frozenset[str]


@dataclass(slots=True)
class Adjustment:
    """A trained organisation model: sparse weights over hashed n-gram buckets, one row per class."""

    classes: list[str]
    buckets: npt.NDArray[np.int64]
    """Sorted bucket ids that have weights."""
    weights: npt.NDArray[np.float32]
    """(len(classes), len(buckets))."""

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """(len(texts), len(classes)); 0.5 where a text shares no n-gram with the training posts."""
        batch = hash_ngrams(list(texts), ORDERS, HASH_BITS)
        position = np.searchsorted(self.buckets, batch.buckets)
        position = np.minimum(position, max(len(self.buckets) - 1, 0))
        known = (self.buckets[position] == batch.buckets) if len(self.buckets) else np.zeros(0, dtype=bool)
        docs, cols, values = batch.docs[known], position[known], batch.scale[batch.docs[known]]
        scores = np.zeros((len(texts), len(self.classes)))
        for index in range(len(self.classes)):
            scores[:, index] = np.bincount(
                docs, weights=values * self.weights[index, cols], minlength=len(texts)
            )
        result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-scores))
        return result

    def apply(self, judgement: dict[str, Any], probabilities: npt.NDArray[np.float64]) -> dict[str, Any]:
        """The judgement as this organisation's operators would have it."""
        adjusted = dict(judgement)
        notes = []
        if RISKY in self.classes:
            shift = MAX_SHIFT * (2.0 * float(probabilities[self.classes.index(RISKY)]) - 1.0)
            if abs(shift) >= 0.01:
                risk = min(1.0, max(0.0, float(judgement["risk"]) + shift))
                adjusted["risk"] = round(risk, 4)
                adjusted["level"] = level_for(risk)
                notes.append(f"リスク {shift:+.2f}")
        categories = list(judgement.get("categories", []))
        present = {c["code"] for c in categories}
        for index, code in enumerate(self.classes):
            p = float(probabilities[index])
            if code == RISKY or code in present or p < CATEGORY_THRESHOLD:
                continue
            categories.append({"code": code, "score": round(p, 4), "evidence": []})
            notes.append(f"分類 {code}")
        if len(categories) != len(judgement.get("categories", [])):
            adjusted["categories"] = sorted(categories, key=lambda c: -float(c["score"]))
        if notes:
            adjusted["explanation"] = (
                f"{judgement.get('explanation', '')}（運用者の判断から学習: {', '.join(notes)}）"
            )
        return adjusted


def fingerprint(org_id: int) -> tuple[str, int]:
    """(fingerprint, feedback rows) of an organisation's feedback: changes when any row is added,
    changed (``created_at`` is ``auto_now``) or deleted."""
    stats = PostFeedback.objects.filter(organization_id=org_id).aggregate(
        n=Count("id"), top=Max("id"), latest=Max("created_at")
    )
    latest = stats["latest"].isoformat() if stats["latest"] else "-"
    return f"v{TRAINING_VERSION}:{stats['n']}:{stats['top'] or 0}:{latest}", int(stats["n"])


def examples(org_id: int) -> list[Example]:
    """One example per post with feedback (the operators' majority), most recent posts first."""
    rows = (
        PostFeedback.objects.filter(organization_id=org_id)
        .order_by("-post_id")
        .values_list("post_id", "post__text", "verdict", "category")
    )
    texts: dict[int, str] = {}
    votes: dict[int, Counter[str]] = defaultdict(Counter)
    categories: dict[int, set[str]] = defaultdict(set)
    for post_id, text, verdict, category in rows:
        if post_id not in texts and len(texts) >= MAX_EXAMPLES:
            continue
        texts[post_id] = text
        votes[post_id][verdict] += 1
        if category in CATEGORY_CODES:
            categories[post_id].add(category)
    found = []
    for post_id, text in texts.items():
        risky, not_risky = votes[post_id][FeedbackVerdict.RISKY], votes[post_id][FeedbackVerdict.NOT_RISKY]
        found.append(
            Example(text, None if risky == not_risky else risky > not_risky, frozenset(categories[post_id]))
        )
    return found


def fit(found: Sequence[Example]) -> Adjustment | None:
    """Logistic heads without intercept, full-batch gradient descent on sparse hashed features."""
    classes: list[str] = []
    if sum(1 for e in found if e.risky is not None) >= MIN_EXAMPLES:
        classes.append(RISKY)
    if len(found) >= MIN_EXAMPLES:
        classes += sorted({code for e in found for code in e.categories})
    if not classes:
        return None
    batch = hash_ngrams([e.text for e in found], ORDERS, HASH_BITS)
    buckets, cols = np.unique(batch.buckets, return_inverse=True)
    docs, values = batch.docs, batch.scale[batch.docs]
    n = len(found)
    weights = np.zeros((len(classes), len(buckets)))
    for index, code in enumerate(classes):
        if code == RISKY:
            used = np.array([e.risky is not None for e in found])
            labels = np.array([1.0 if e.risky else 0.0 for e in found])
        else:
            used = np.ones(n, dtype=bool)
            labels = np.array([1.0 if code in e.categories else 0.0 for e in found])
        informative = _informative(docs, cols, labels, used, len(buckets))
        weights[index] = _descend(docs, cols, values * informative[cols], labels, used, len(buckets))
    return Adjustment(classes, buckets.astype(np.int64), weights.astype(np.float32))


def _informative(
    docs: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    labels: npt.NDArray[np.float64],
    used: npt.NDArray[np.bool_],
    width: int,
) -> npt.NDArray[np.float64]:
    """1.0 for n-grams that tell the classes apart, 0.0 for the rest. Every mention contains the
    organisation's watched names, so their n-grams are in nearly every example; with few or lopsided
    examples a model would learn them as a bias and shift every post of the organisation. Dropped: an
    n-gram about as common (within a factor of two) among positives as among negatives, and with one
    class only, an n-gram in more than half of the examples."""
    pairs = np.unique(docs * width + cols)
    pair_docs, pair_cols = pairs // width, pairs % width
    keep = used[pair_docs]
    pair_docs, pair_cols = pair_docs[keep], pair_cols[keep]
    positive = labels[pair_docs] > 0.5
    n_pos, n_neg = int((used & (labels > 0.5)).sum()), int((used & (labels <= 0.5)).sum())
    pos_df = np.bincount(pair_cols[positive], minlength=width).astype(np.float64)
    neg_df = np.bincount(pair_cols[~positive], minlength=width).astype(np.float64)
    if n_pos and n_neg:
        pos_rate, neg_rate = pos_df / n_pos, neg_df / n_neg
        common = np.minimum(pos_rate, neg_rate) >= 0.5 * np.maximum(pos_rate, neg_rate)
    else:
        n = max(n_pos + n_neg, 1)
        common = (pos_df + neg_df) / n > 0.5
    result: npt.NDArray[np.float64] = np.where(common, 0.0, 1.0)
    return result


def _descend(
    docs: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    labels: npt.NDArray[np.float64],
    used: npt.NDArray[np.bool_],
    width: int,
) -> npt.NDArray[np.float64]:
    n = len(labels)
    mask = used[docs]
    docs, cols, values = docs[mask], cols[mask], values[mask]
    count = max(int(used.sum()), 1)
    w = np.zeros(width)
    for _ in range(ITERATIONS):
        scores = np.bincount(docs, weights=values * w[cols], minlength=n)
        error = (1.0 / (1.0 + np.exp(-scores)) - labels) * used
        gradient = np.bincount(cols, weights=values * error[docs], minlength=width) / count + L2 * w
        w -= LEARNING_RATE * gradient
    return w


def train(org_id: int) -> str:
    """Train (or drop, when its feedback is gone) one organisation's model when its feedback changed:
    ``trained``, ``removed`` or ``unchanged``. Safe to run twice at once: the model row is locked while it is replaced."""
    with transaction.atomic():
        current, rows = fingerprint(org_id)
        stored = FeedbackModel.objects.select_for_update().filter(organization_id=org_id).first()
        if stored is not None and stored.fingerprint == current:
            return "unchanged"
        if not rows:
            if stored is None:
                return "unchanged"
            stored.delete()
            return "removed"
        # Too little to learn from is saved as a model without classes, so it is not refitted each run.
        adjustment = fit(examples(org_id)) or Adjustment(
            [], np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        )
        model = stored or FeedbackModel(organization_id=org_id)
        model.fingerprint = current
        model.examples = rows
        model.classes = adjustment.classes
        model.buckets = adjustment.buckets.astype("<i4").tobytes()
        model.weights = adjustment.weights.astype("<f4").tobytes()
        model.trained_at = timezone.now()
        model.save()
        return "trained"


def train_changed() -> dict[str, int]:
    """Every organisation with feedback or a model; returns how many were trained, removed, unchanged."""
    org_ids = set(PostFeedback.objects.values_list("organization_id", flat=True).distinct())
    org_ids |= set(FeedbackModel.objects.values_list("organization_id", flat=True))
    outcome: Counter[str] = Counter()
    for org_id in sorted(org_ids):
        try:
            outcome[train(org_id)] += 1
        except Exception:
            # One organisation's failure must not stop the others; it is retried on the next run.
            logger.exception("training the feedback model of organisation %s failed", org_id)
            outcome["failed"] += 1
    return {key: outcome[key] for key in ("trained", "removed", "unchanged", "failed")}


def load_adjustments(org_ids: Iterable[int]) -> dict[int, Adjustment]:
    """The trained adjustments of these organisations (one query; organisations without one are absent)."""
    found = {}
    for org_id, classes, buckets, weights in FeedbackModel.objects.filter(
        organization_id__in=list(org_ids)
    ).values_list("organization_id", "classes", "buckets", "weights"):
        if not classes:
            continue
        bucket_ids = np.frombuffer(bytes(buckets), dtype="<i4").astype(np.int64)
        matrix = np.frombuffer(bytes(weights), dtype="<f4").reshape(len(classes), len(bucket_ids))
        found[org_id] = Adjustment(list(classes), bucket_ids, matrix)
    return found
