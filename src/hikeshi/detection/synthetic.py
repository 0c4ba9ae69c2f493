"""Seeded generator of labelled mention-count series with realistic shapes.

Each series is three weeks of 5-minute buckets (Monday start, Japanese wall clock) for one watch rule:
- traffic profile: busy brand (5-60 per bucket), medium (0.5-5) or sparse (a few mentions a day), with a
  daily cycle (quiet 2-6 a.m., lunch and evening peaks), a weekend factor, and overdispersed noise (negative
  binomial; sparse series come in clusters, a post and its replies);
- labelled surges after the first week: fast onset (peak 5-40x reached within 10-30 minutes) or slow onset
  (3-8x over 2-6 hours), plateau, then exponential decay;
- unlabelled ordinary events: a declared benign spike (TV commercial, campaign: the declared multiplier is the
  organisation's guess, 0.7-1.3x the truth), a level shift after a launch (x1.5-2.5 for good), and missing
  data (a collector outage of 1-12 hours: the rows are absent).
The same seed gives the same corpus on every machine (numpy's PCG64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from hikeshi.detection.types import BenignWindow

BUCKET = timedelta(minutes=5)
BUCKETS_PER_DAY = 288
START = datetime(2026, 3, 2)  # a Monday
FAST_RATIO = 5.0
FAST_WITHIN = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class SurgeEvent:
    onset: datetime
    end: datetime
    kind: str  # "fast" | "slow"
    peak_ratio: float
    fast: bool  # reaches FAST_RATIO x its usual level within FAST_WITHIN of the onset


@dataclass(slots=True)
class LabelledSeries:
    name: str
    profile: str
    timestamps: list[datetime]
    values: list[float]
    events: list[SurgeEvent] = field(default_factory=list)
    benign: list[BenignWindow] = field(default_factory=list)
    launches: list[datetime] = field(default_factory=list)

    @property
    def windows(self) -> list[tuple[datetime, datetime]]:
        return [(e.onset, e.end) for e in self.events]


def _daily_shape(n_buckets: int) -> np.ndarray:
    """Relative activity by time of day: quiet before dawn, a daytime plateau, a lunch bump, the evening peak.

    Built from circular distances so the curve is continuous across midnight.
    """
    hours = (np.arange(n_buckets) % BUCKETS_PER_DAY) * 24.0 / BUCKETS_PER_DAY

    def distance(centre: float) -> np.ndarray:
        gap = np.abs(hours - centre)
        return np.asarray(np.minimum(gap, 24.0 - gap))

    daytime = 0.85 * np.exp(-0.5 * (distance(14.5) / 4.5) ** 4)
    lunch = 0.35 * np.exp(-0.5 * (distance(12.5) / 1.0) ** 2)
    evening = 0.6 * np.exp(-0.5 * (distance(21.0) / 1.8) ** 2)
    shape = 0.15 + daytime + lunch + evening
    return np.asarray(shape / shape.mean())


def _weekly_shape(n_buckets: int, weekend_factor: float) -> np.ndarray:
    day = np.arange(n_buckets) // BUCKETS_PER_DAY
    return np.where(day % 7 >= 5, weekend_factor, 1.0)


@dataclass(frozen=True, slots=True)
class SurgeEventSpec:
    ramp: int
    plateau: int
    peak: float
    decay_halflife: float


def _surge_multiplier(
    rng: np.random.Generator, n: int, onset: int, fast: bool, base_rate: float
) -> tuple[np.ndarray, SurgeEventSpec]:
    if fast:
        ramp = int(rng.integers(2, 7))  # 10-30 minutes
        peak = float(rng.uniform(5.0, 40.0))
    else:
        ramp = int(rng.integers(24, 73))  # 2-6 hours
        peak = float(rng.uniform(3.0, 8.0))
    plateau = int(rng.integers(6, 25))
    decay_halflife = float(rng.uniform(12, 36))
    if base_rate < 0.2:
        # A small organisation's firestorm is measured in mentions, not in multiples of almost nothing.
        peak = max(peak, float(rng.uniform(2.0, 12.0)) / base_rate)
    mult = np.ones(n)
    steps = np.arange(n) - onset
    rising = (steps >= 0) & (steps < ramp)
    mult[rising] = np.power(peak, (steps[rising] + 1) / ramp)
    top = (steps >= ramp) & (steps < ramp + plateau)
    mult[top] = peak
    after = steps >= ramp + plateau
    mult[after] = 1.0 + (peak - 1.0) * np.power(0.5, (steps[after] - ramp - plateau) / decay_halflife)
    return mult, SurgeEventSpec(ramp, plateau, peak, decay_halflife)


def _noise(rng: np.random.Generator, rate: np.ndarray, shape_k: float) -> np.ndarray:
    """Negative binomial counts with mean `rate` and variance rate + rate^2 / shape_k."""
    gamma = rng.gamma(shape_k, 1.0 / shape_k, size=rate.shape)
    return np.asarray(rng.poisson(rate * gamma), dtype=float)


def generate_series(rng: np.random.Generator, name: str, weeks: int = 3) -> LabelledSeries:
    n = weeks * 7 * BUCKETS_PER_DAY
    profile = str(rng.choice(["busy", "medium", "sparse"], p=[0.35, 0.35, 0.3]))
    if profile == "busy":
        base, shape_k = float(rng.uniform(5.0, 60.0)), float(rng.uniform(8.0, 40.0))
    elif profile == "medium":
        base, shape_k = float(rng.uniform(0.5, 5.0)), float(rng.uniform(3.0, 15.0))
    else:
        base, shape_k = float(rng.uniform(3.0, 20.0)) / BUCKETS_PER_DAY, float(rng.uniform(0.3, 1.0))
    rate = base * _daily_shape(n) * _weekly_shape(n, float(rng.uniform(0.55, 1.2)))
    timestamps = [START + BUCKET * i for i in range(n)]
    series = LabelledSeries(name, profile, timestamps, [])
    first_event = 7 * BUCKETS_PER_DAY
    if rng.random() < 0.3:
        at = int(rng.integers(first_event, n - BUCKETS_PER_DAY))
        rate[at:] *= float(rng.uniform(1.5, 2.5))
        series.launches.append(timestamps[at])
    surge_mult = np.ones(n)
    n_events = int(rng.choice([0, 1, 2], p=[0.25, 0.45, 0.3]))
    taken: list[tuple[int, int]] = []
    for _ in range(n_events):
        onset = int(rng.integers(first_event, n - BUCKETS_PER_DAY // 2))
        if any(abs(onset - a) < 2 * BUCKETS_PER_DAY for a, _ in taken):
            continue
        fast = bool(rng.random() < 0.65)
        mult, spec = _surge_multiplier(rng, n, onset, fast, base)
        surge_mult *= mult
        # The event lasts until the surge has decayed below twice the usual level.
        decay = math.ceil(spec.decay_halflife * math.log2(max(2.0, spec.peak - 1.0)))
        end = min(n - 1, onset + spec.ramp + spec.plateau + decay)
        taken.append((onset, end))
        within = int(FAST_WITHIN / BUCKET)
        reaches = spec.peak >= FAST_RATIO and spec.ramp <= within
        series.events.append(
            SurgeEvent(timestamps[onset], timestamps[end], "fast" if fast else "slow", spec.peak, reaches)
        )
    if rng.random() < 0.4:
        length = int(rng.choice([3, 6, 12, 288]))
        start = int(rng.integers(first_event, n - length))
        if not any(a - length - 24 < start < b + 24 for a, b in taken):
            truth = float(rng.uniform(2.0, 8.0)) if length < 288 else float(rng.uniform(1.5, 3.0))
            rate[start : start + length] *= truth
            declared = truth * float(rng.uniform(0.7, 1.3))
            label = "キャンペーン" if length >= 288 else "テレビCM"
            series.benign.append(
                BenignWindow(timestamps[start], timestamps[start + length], max(1.0, declared), label)
            )
    counts = _noise(rng, rate * surge_mult, shape_k)
    keep = np.ones(n, dtype=bool)
    if rng.random() < 0.3:
        gap = int(rng.integers(12, 145))
        at = int(rng.integers(BUCKETS_PER_DAY, n - gap))
        keep[at : at + gap] = False
    series.timestamps = [t for t, k in zip(timestamps, keep, strict=True) if k]
    series.values = [float(v) for v, k in zip(counts, keep, strict=True) if k]
    return series


def generate_corpus(seed: int = 7, n_series: int = 60, weeks: int = 3) -> list[LabelledSeries]:
    rng = np.random.default_rng(seed)
    width = max(2, math.ceil(math.log10(n_series + 1)))
    return [generate_series(rng, f"rule-{i:0{width}d}", weeks) for i in range(n_series)]
