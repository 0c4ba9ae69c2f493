"""Batch scoring of a whole series: the online detector run over it, so batch and online scores are identical."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from hikeshi.detection.detector import BurstDetector
from hikeshi.detection.types import BenignWindow, BurstScore, DetectorConfig


def infer_bucket(timestamps: Sequence[datetime]) -> timedelta:
    """The bucket size: the median interval between consecutive timestamps.

    The median (not the minimum) keeps one stray early sample from shrinking the bucket; longer intervals
    are then missing buckets.
    """
    if len(timestamps) < 2:
        raise ValueError("at least two timestamps are needed to infer the bucket size")
    seconds = np.array(
        [t.timestamp() if t.utcoffset() is not None else _naive_seconds(t) for t in timestamps]
    )
    intervals = np.diff(seconds)
    if np.any(intervals <= 0):
        raise ValueError("timestamps must be strictly increasing")
    return timedelta(seconds=float(np.median(intervals)))


def _naive_seconds(moment: datetime) -> float:
    return (moment - datetime(1970, 1, 1)).total_seconds()


def score_series(
    timestamps: Sequence[datetime],
    values: Sequence[float],
    *,
    bucket: timedelta | None = None,
    benign_windows: Sequence[BenignWindow] = (),
    config: DetectorConfig | None = None,
) -> list[BurstScore]:
    """Score every bucket causally (each score uses only that bucket and earlier ones)."""
    if len(timestamps) != len(values):
        raise ValueError(f"{len(timestamps)} timestamps but {len(values)} values")
    if not timestamps:
        return []
    if bucket is None:
        bucket = infer_bucket(timestamps) if len(timestamps) > 1 else timedelta(minutes=5)
    detector = BurstDetector(bucket, config, benign_windows)
    update = detector.update
    return [update(moment, value) for moment, value in zip(timestamps, values, strict=True)]
