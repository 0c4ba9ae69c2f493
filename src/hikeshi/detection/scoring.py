"""NAB-style scoring and operational alarm metrics for one thresholded score series.

NAB-style (after the Numenta Anomaly Benchmark's published method; own implementation):
- every record whose score reaches the threshold is a detection;
- in a labelled window only the first detection counts, rewarded A_TP * sigma(y), where y runs from -1 at the
  window's start to 0 at its end and sigma(y) = 2 / (1 + e^(5y)) - 1, so earlier is better;
- a window without a detection costs A_FN;
- each detection outside every window costs A_FP, scaled by -sigma(y) when it follows a window (y = distance
  past that window's end in window lengths), so a tail just after an event is barely punished;
- detections in the probationary period (the first 15% of a file, at most 750 records) are ignored;
- the corpus score is normalised: 0 = never alarm, 100 = one detection at the start of every window.
Operational metrics look at alarm *episodes* instead: a run of detections, a new episode only after
`refractory` without any; episodes starting outside every window are false alarms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class CostProfile:
    name: str
    tp: float
    fp: float
    fn: float


PROFILES: tuple[CostProfile, ...] = (
    CostProfile("standard", 1.0, 0.11, 1.0),
    CostProfile("reward_low_FP", 1.0, 0.22, 1.0),
    CostProfile("reward_low_FN", 1.0, 0.11, 2.0),
)


def probation_period(records: int, fraction: float = 0.15) -> int:
    """NAB's learning allowance: the first 15% of a file, at most 750 records."""
    return int(min(math.floor(fraction * records), fraction * 5000))


def scaled_sigmoid(y: float) -> float:
    # Clamp the exponent: far past a window the value is -1 to double precision anyway.
    return 2.0 / (1.0 + math.exp(min(50.0, 5.0 * y))) - 1.0


def window_spans(times_s: FloatArray, windows: Sequence[tuple[float, float]]) -> list[tuple[int, int]]:
    """Index ranges [first, last] of the records inside each window (windows without records are dropped)."""
    spans: list[tuple[int, int]] = []
    for start, end in windows:
        first = int(np.searchsorted(times_s, start, side="left"))
        last = int(np.searchsorted(times_s, end, side="right")) - 1
        if first <= last:
            spans.append((first, last))
    return spans


@dataclass(slots=True)
class NabLayout:
    """Per-record weights of one series, precomputed once and reused for every threshold."""

    spans: list[tuple[int, int]]
    outside: BoolArray
    fp_weight: FloatArray  # >= 0, the multiple of A_FP a detection here costs

    @classmethod
    def build(
        cls, times_s: FloatArray, windows: Sequence[tuple[float, float]], probation: int = 0
    ) -> NabLayout:
        """`probation`: leading records where detections are neither rewarded as false nor penalised."""
        n = len(times_s)
        spans = window_spans(times_s, windows)
        outside = np.ones(n, dtype=bool)
        outside[:probation] = False
        fp_weight = np.ones(n)
        for first, last in spans:
            outside[first : last + 1] = False
        previous: tuple[int, int] | None = None
        span_iter = iter(spans)
        upcoming = next(span_iter, None)
        for i in range(n):
            while upcoming is not None and i > upcoming[1]:
                previous, upcoming = upcoming, next(span_iter, None)
            if outside[i] and previous is not None:
                length = max(1, previous[1] - previous[0])
                fp_weight[i] = -scaled_sigmoid((i - previous[1]) / length)
        return cls(spans, outside, fp_weight)


@dataclass(frozen=True, slots=True)
class NabTally:
    raw: float
    true_positives: int
    false_negatives: int
    false_positives: int
    windows: int


def nab_tally(scores: FloatArray, layout: NabLayout, threshold: float, profile: CostProfile) -> NabTally:
    detected = scores >= threshold
    raw = 0.0
    tp = fn = 0
    for first, last in layout.spans:
        hits = np.flatnonzero(detected[first : last + 1])
        if hits.size:
            length = max(1, last - first)
            y = (int(hits[0]) - (last - first)) / length
            raw += profile.tp * scaled_sigmoid(y)
            tp += 1
        else:
            raw -= profile.fn
            fn += 1
    false = detected & layout.outside
    raw -= profile.fp * float(layout.fp_weight[false].sum())
    return NabTally(raw, tp, fn, int(false.sum()), len(layout.spans))


def normalised_score(raw: float, windows: int, profile: CostProfile) -> float | None:
    """100 for a perfect detector, 0 for one that never alarms; None without labelled windows."""
    if windows == 0:
        return None
    perfect = windows * profile.tp * scaled_sigmoid(-1.0)
    null = -windows * profile.fn
    return 100.0 * (raw - null) / (perfect - null)


# ---------------------------------------------------------------------- operational metrics
def alarm_onsets(times_s: FloatArray, alarms: BoolArray, refractory_s: float) -> list[int]:
    """Indices where an alarm episode starts: an alarm with no alarm in the preceding `refractory_s`."""
    onsets: list[int] = []
    last_alarm: float | None = None
    for i in np.flatnonzero(alarms):
        moment = float(times_s[i])
        if last_alarm is None or moment - last_alarm > refractory_s:
            onsets.append(int(i))
        last_alarm = moment
    return onsets


@dataclass(frozen=True, slots=True)
class EpisodeTally:
    detected: list[bool]  # per window
    delays_s: list[float | None]  # per window: first alarm in the window minus its start
    episodes_in_windows: int
    false_alarms: int
    false_alarm_times: list[float]


def episode_tally(
    times_s: FloatArray,
    scores: FloatArray,
    windows: Sequence[tuple[float, float]],
    threshold: float,
    refractory_s: float,
) -> EpisodeTally:
    alarms = scores >= threshold
    detected: list[bool] = []
    delays: list[float | None] = []
    for start, end in windows:
        inside = np.flatnonzero(alarms & (times_s >= start) & (times_s <= end))
        if inside.size:
            detected.append(True)
            delays.append(float(times_s[inside[0]]) - start)
        else:
            detected.append(False)
            delays.append(None)
    in_windows = 0
    false_times: list[float] = []
    for index in alarm_onsets(times_s, alarms, refractory_s):
        moment = float(times_s[index])
        if any(start <= moment <= end for start, end in windows):
            in_windows += 1
        else:
            false_times.append(moment)
    return EpisodeTally(detected, delays, in_windows, len(false_times), false_times)
