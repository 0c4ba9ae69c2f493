"""NAB-style scoring and episode metrics on small hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from hikeshi.detection.scoring import (
    PROFILES,
    NabLayout,
    alarm_onsets,
    episode_tally,
    nab_tally,
    normalised_score,
    scaled_sigmoid,
    window_spans,
)

STANDARD, LOW_FP, LOW_FN = PROFILES
TIMES = np.arange(20, dtype=float)  # one record per second, window covers records 5..9
WINDOWS = [(5.0, 9.0)]


def _scores(*hits: int) -> np.ndarray:
    scores = np.zeros(20)
    scores[list(hits)] = 1.0
    return scores


def _raw(*hits: int, profile: object = STANDARD) -> float:
    layout = NabLayout.build(TIMES, WINDOWS)
    return nab_tally(_scores(*hits), layout, 0.5, profile).raw  # type: ignore[arg-type]


def test_scaled_sigmoid_hand_values() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(0.986614, abs=1e-6)
    assert scaled_sigmoid(0.0) == pytest.approx(0.0)
    assert scaled_sigmoid(1.0) == pytest.approx(-0.986614, abs=1e-6)
    assert scaled_sigmoid(1e6) == pytest.approx(-1.0)


def test_window_spans_map_times_to_inclusive_indices() -> None:
    assert window_spans(TIMES, [(5.0, 9.0), (4.5, 4.7), (18.5, 40.0)]) == [(5, 9), (19, 19)]


def test_detection_at_window_start_scores_perfect() -> None:
    raw = _raw(5)
    assert raw == pytest.approx(0.986614, abs=1e-6)
    assert normalised_score(raw, 1, STANDARD) == pytest.approx(100.0)


def test_later_detection_earns_less_and_only_the_first_counts() -> None:
    assert _raw(7) == pytest.approx(0.848284, abs=1e-6)  # y = (2 - 4) / 4 = -0.5
    assert _raw(7, 8, 9) == pytest.approx(0.848284, abs=1e-6)


def test_missed_window_and_false_positives() -> None:
    assert _raw() == pytest.approx(-1.0)
    assert normalised_score(-1.0, 1, STANDARD) == pytest.approx(0.0)
    assert _raw(profile=LOW_FN) == pytest.approx(-2.0)
    # Before any window a false positive costs the full A_FP.
    assert _raw(2, 5) == pytest.approx(0.986614 - 0.11, abs=1e-6)
    assert _raw(2, 5, profile=LOW_FP) == pytest.approx(0.986614 - 0.22, abs=1e-6)
    # After a window it is scaled by -sigma(distance / window length): y = 1 and y = 0.25 here.
    assert _raw(5, 13) == pytest.approx(0.986614 - 0.108528, abs=1e-6)
    assert _raw(5, 10) == pytest.approx(0.986614 - 0.061006, abs=1e-6)
    tally = nab_tally(_scores(2, 10, 13), NabLayout.build(TIMES, WINDOWS), 0.5, STANDARD)
    assert (tally.true_positives, tally.false_negatives, tally.false_positives) == (0, 1, 3)


def test_normalised_score_without_windows_is_undefined() -> None:
    assert normalised_score(-0.5, 0, STANDARD) is None


def test_alarm_onsets_respect_the_refractory_period() -> None:
    alarms = np.array([0, 1, 1, 0, 1, 0, 0, 0, 1, 1], dtype=bool)
    assert alarm_onsets(np.arange(10, dtype=float), alarms, refractory_s=2.0) == [1, 8]
    assert alarm_onsets(np.arange(10, dtype=float), alarms, refractory_s=1.0) == [1, 4, 8]


def test_episode_tally_delay_detection_and_false_alarms() -> None:
    times = np.arange(0, 3000, 300, dtype=float)  # ten 5-minute buckets
    scores = np.array([0.9, 0.0, 0.0, 0.2, 0.7, 0.8, 0.0, 0.0, 0.0, 0.6])
    windows = [(600.0, 1500.0), (2100.0, 2400.0)]
    tally = episode_tally(times, scores, windows, threshold=0.5, refractory_s=300.0)
    assert tally.detected == [True, False]
    assert tally.delays_s == [600.0, None]  # first alarm at 1200 s, window starts at 600 s
    assert tally.episodes_in_windows == 1
    assert tally.false_alarms == 2  # at 0 s and 2700 s
    assert tally.false_alarm_times == [0.0, 2700.0]
