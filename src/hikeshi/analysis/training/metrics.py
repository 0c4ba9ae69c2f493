"""Classification and calibration metrics, numpy only (shared by training and ``hikeshi eval``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Probabilities = npt.NDArray[np.float64] | Sequence[float]
Labels = npt.NDArray[np.int64] | Sequence[int]


def _arrays(probs: Probabilities, labels: Labels) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if p.shape != y.shape or p.ndim != 1:
        raise ValueError(f"probabilities {p.shape} and labels {y.shape} must be 1-D and of equal length")
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return p, y


@dataclass(frozen=True)
class BinaryScores:
    precision: float
    recall: float
    f1: float
    accuracy: float
    n: int
    positives: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "accuracy": round(self.accuracy, 4),
            "n": self.n,
            "positives": self.positives,
        }


def binary_scores(probs: Probabilities, labels: Labels, threshold: float = 0.5) -> BinaryScores:
    """Precision, recall, F1 and accuracy of ``prob >= threshold``; an undefined ratio counts as 0."""
    p, y = _arrays(probs, labels)
    predicted = p >= threshold
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn = int(np.sum(~predicted & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = float(np.mean(predicted == (y == 1))) if y.size else 0.0
    return BinaryScores(precision, recall, f1, accuracy, int(y.size), int(np.sum(y)))


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_predicted: float
    observed_rate: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "low": round(self.low, 3),
            "high": round(self.high, 3),
            "count": self.count,
            "mean_predicted": round(self.mean_predicted, 4),
            "observed_rate": round(self.observed_rate, 4),
        }


def reliability_table(probs: Probabilities, labels: Labels, n_bins: int = 10) -> list[ReliabilityBin]:
    """Equal-width probability bins; the last bin includes 1.0. Empty bins are listed with count 0."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    p, y = _arrays(probs, labels)
    index = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    bins = []
    for b in range(n_bins):
        members = index == b
        count = int(np.sum(members))
        bins.append(
            ReliabilityBin(
                low=b / n_bins,
                high=(b + 1) / n_bins,
                count=count,
                mean_predicted=float(np.mean(p[members])) if count else 0.0,
                observed_rate=float(np.mean(y[members])) if count else 0.0,
            )
        )
    return bins


def expected_calibration_error(probs: Probabilities, labels: Labels, n_bins: int = 10) -> float:
    """Count-weighted mean gap between predicted probability and observed rate over equal-width bins."""
    p, _ = _arrays(probs, labels)
    if not p.size:
        return 0.0
    table = reliability_table(probs, labels, n_bins)
    gaps = sum(b.count * abs(b.mean_predicted - b.observed_rate) for b in table)
    return float(gaps / p.size)
