"""Burst detection: per-series online scores and organisation/topic risk levels.

Pure Python + numpy; no Django. See docs/detection.md.
"""

from hikeshi.detection.batch import infer_bucket, score_series
from hikeshi.detection.detector import BurstDetector
from hikeshi.detection.risk import (
    Assessment,
    ContentSignals,
    FirstPost,
    RiskLevel,
    assess,
    choose_first_posts,
)
from hikeshi.detection.types import BenignWindow, BurstScore, DetectorConfig

__all__ = [
    "Assessment",
    "BenignWindow",
    "BurstDetector",
    "BurstScore",
    "ContentSignals",
    "DetectorConfig",
    "FirstPost",
    "RiskLevel",
    "assess",
    "choose_first_posts",
    "infer_bucket",
    "score_series",
]
