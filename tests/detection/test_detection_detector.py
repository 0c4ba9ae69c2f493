"""The online detector: causality, persistence, cold start, sparse series, seasonality, benign windows."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from hikeshi.detection import BenignWindow, BurstDetector, DetectorConfig, score_series

FIVE_MIN = timedelta(minutes=5)
START = datetime(2026, 3, 2)  # Monday
PER_DAY = 288


def _times(n: int, start: datetime = START, bucket: timedelta = FIVE_MIN) -> list[datetime]:
    return [start + bucket * i for i in range(n)]


def _daily_rate(n: int, base: float) -> np.ndarray:
    hours = (np.arange(n) % PER_DAY) / 12.0
    return base * (0.1 + 0.9 * np.exp(-0.5 * ((hours - 14.0) / 3.5) ** 2))


def _poisson(rate: np.ndarray | float, n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(v) for v in rng.poisson(np.broadcast_to(rate, (n,)))]


def test_causal_appending_future_data_never_changes_past_scores() -> None:
    n = 3 * PER_DAY
    values = _poisson(_daily_rate(n, 20.0), n, seed=1)
    times = _times(n)
    full = score_series(times, values, bucket=FIVE_MIN)
    prefix = score_series(times[:500], values[:500], bucket=FIVE_MIN)
    assert [s.score for s in prefix] == [s.score for s in full[:500]]
    changed = values[:500] + [v * 50 for v in values[500:]]
    assert [s.score for s in score_series(times, changed, bucket=FIVE_MIN)[:500]] == [s.score for s in prefix]


def test_state_round_trip_continues_identically() -> None:
    n = 3 * PER_DAY
    values = _poisson(_daily_rate(n, 8.0), n, seed=2)
    values[700] = 90.0
    times = _times(n)
    straight = BurstDetector(FIVE_MIN)
    expected = [straight.update(t, v).score for t, v in zip(times, values, strict=True)]
    detector = BurstDetector(FIVE_MIN, benign_windows=[BenignWindow(times[10], times[20], 2.0, "CM")])
    detector.benign_windows.clear()
    got = []
    for t, v in zip(times, values, strict=True):
        got.append(detector.update(t, v).score)
        detector = BurstDetector.from_state(json.loads(json.dumps(detector.state())))
    assert got == expected


def test_scores_are_in_unit_interval_and_spike_alarms() -> None:
    n = 2 * PER_DAY
    values = _poisson(10.0, n, seed=3)
    values[400] = 80.0
    scores = score_series(_times(n), values, bucket=FIVE_MIN)
    assert all(0.0 <= s.score <= 1.0 for s in scores)
    assert scores[400].score > 0.9
    assert scores[400].ratio is not None and scores[400].ratio > 6
    assert "倍" in scores[400].reason
    assert sum(s.is_alarm for s in scores[:400]) <= 1


def test_persistence_a_moderate_sustained_rise_alarms_after_a_few_buckets() -> None:
    n = 2 * PER_DAY
    values = _poisson(20.0, n, seed=4)
    for i in range(400, 420):
        values[i] = 38.0  # 1.9x: one such bucket is unremarkable, a run of them is not
    scores = score_series(_times(n), values, bucket=FIVE_MIN)
    assert not scores[400].is_alarm
    first = next(i for i in range(400, 420) if scores[i].is_alarm)
    assert first <= 406
    assert "継続" in scores[first + 2].reason


def test_cold_start_no_history_then_warming_up() -> None:
    detector = BurstDetector(FIVE_MIN)
    first = detector.update(START, 7.0)
    assert first.score == 0.0 and first.expected is None and first.warming_up
    assert "履歴がない" in first.reason
    values = _poisson(5.0, PER_DAY, seed=5)
    scores = [detector.update(t, v) for t, v in zip(_times(PER_DAY, START + FIVE_MIN), values, strict=True)]
    assert not any(s.is_alarm for s in scores)
    assert scores[0].warming_up and not scores[-1].warming_up
    # A new rule's firestorm on its first day is still caught.
    assert detector.update(START + FIVE_MIN * (PER_DAY + 1), 120.0).is_alarm


def test_cold_start_first_morning_is_not_an_alarm() -> None:
    n = PER_DAY
    values = _poisson(_daily_rate(n, 30.0), n, seed=6)
    scores = score_series(_times(n), values, bucket=FIVE_MIN)
    assert not any(s.is_alarm for s in scores)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_sparse_series_isolated_mentions_do_not_alarm(seed: int) -> None:
    n = 7 * PER_DAY
    rng = np.random.default_rng(seed)
    # About 6 mentions a day, in small clusters (a post and a reply or two).
    values = [float(rng.poisson(rng.gamma(0.5, 0.02 / 0.5))) for _ in range(n)]
    scores = score_series(_times(n), values, bucket=FIVE_MIN)
    assert sum(s.is_alarm for s in scores) <= 1


def test_sparse_zero_to_two_is_not_an_alarm_but_a_real_burst_is() -> None:
    n = 4 * PER_DAY
    values = [0.0] * n
    for i in range(7, n, PER_DAY):
        values[i] = 1.0  # one mention a day
    values[900] = 2.0
    for i in range(1000, 1006):
        values[i] = 6.0
    scores = score_series(_times(n), values, bucket=FIVE_MIN)
    assert not scores[900].is_alarm
    assert "件数が少ない" in scores[900].reason
    assert any(s.is_alarm for s in scores[1000:1003])


def test_seasonality_daily_peak_is_usual_and_the_same_count_at_night_is_not() -> None:
    n = 6 * PER_DAY
    rate = _daily_rate(n, 40.0)
    values = _poisson(rate, n, seed=7)
    scores = score_series(_times(n), values, bucket=FIVE_MIN)
    afternoons = [s for i, s in enumerate(scores[3 * PER_DAY :]) if 13 <= (i % PER_DAY) / 12 < 15]
    assert not any(s.is_alarm for s in afternoons)
    assert all(s.seasonal for s in afternoons)
    night = 5 * PER_DAY + 3 * 12  # 03:00 on day 6, usual rate ~4
    values_night = [*values[:night], 40.0]
    night_score = score_series(_times(night + 1), values_night, bucket=FIVE_MIN)[-1]
    assert night_score.is_alarm
    assert night_score.expected is not None and night_score.expected < 10
    assert "同時刻" in night_score.reason


def test_declared_benign_window_suppresses_alarm_and_does_not_inflate_baseline() -> None:
    n = 3 * PER_DAY
    values = _poisson(10.0, n, seed=8)
    for i in range(600, 612):
        values[i] = 60.0
    times = _times(n)
    plain = score_series(times, values, bucket=FIVE_MIN)
    window = BenignWindow(times[600], times[612], 6.0, "テレビCM")
    declared = score_series(times, values, bucket=FIVE_MIN, benign_windows=[window])
    assert any(s.is_alarm for s in plain[600:612])
    assert not any(s.is_alarm for s in declared[600:612])
    assert all(s.benign for s in declared[600:612]) and not declared[612].benign
    assert "申告済み" in declared[605].reason
    after = declared[620].expected
    assert after is not None and after < 13


def test_real_valued_series_uses_robust_z_in_both_directions() -> None:
    rng = np.random.default_rng(9)
    n = 600
    values = [float(50.0 + rng.normal(0, 1.5)) for _ in range(n)]
    values[400] = 75.0
    values[500] = 25.0
    detector = BurstDetector(timedelta(minutes=5))
    scores = [detector.update(t, v) for t, v in zip(_times(n), values, strict=True)]
    assert not detector.is_count
    assert scores[400].is_alarm and scores[400].z > 5
    assert scores[500].is_alarm and scores[500].z < -5
    assert "下回る" in scores[500].reason
    assert sum(s.is_alarm for s in scores[50:400]) <= 2


def test_level_shift_is_absorbed() -> None:
    n = 3 * PER_DAY
    values = _poisson(10.0, 400, seed=10) + _poisson(25.0, n - 400, seed=11)
    scores = score_series(_times(n), values, bucket=FIVE_MIN)
    assert any(s.is_alarm for s in scores[400:420])
    assert not any(s.is_alarm for s in scores[400 + PER_DAY // 2 :])


def test_hourly_and_daily_buckets_work_without_configuration() -> None:
    hourly = timedelta(hours=1)
    values = _poisson(100.0, 24 * 30, seed=12)
    values[600] = 260.0
    scores = score_series(_times(24 * 30, bucket=hourly), values)
    assert scores[600].is_alarm and sum(s.is_alarm for s in scores) <= 3
    daily = score_series(_times(90, bucket=timedelta(days=1)), [1000.0 + (i % 7) * 5 for i in range(90)])
    assert not any(s.is_alarm for s in daily[30:])


def test_missing_data_resets_accumulated_evidence() -> None:
    detector = BurstDetector(FIVE_MIN)
    for i, v in enumerate(_poisson(10.0, 300, seed=13)):
        detector.update(START + FIVE_MIN * i, v)
    detector.update(START + FIVE_MIN * 300, 22.0)
    detector.update(START + FIVE_MIN * 301, 22.0)
    after_gap = detector.update(START + FIVE_MIN * 400, 10.0)
    assert after_gap.evidence < 1.0


def test_bad_input_is_rejected() -> None:
    detector = BurstDetector(FIVE_MIN)
    detector.update(START, 1.0)
    with pytest.raises(ValueError, match="not after"):
        detector.update(START, 1.0)
    with pytest.raises(ValueError, match="timezone"):
        detector.update(datetime(2026, 3, 3, tzinfo=UTC), 1.0)
    with pytest.raises(ValueError, match="finite"):
        detector.update(START + FIVE_MIN, math.nan)
    with pytest.raises(ValueError):
        BurstDetector(timedelta(0))
    with pytest.raises(ValueError):
        BenignWindow(START, START, 2.0)
    with pytest.raises(ValueError):
        DetectorConfig(mode="poisson")  # type: ignore[arg-type]


def test_busy_count_series_going_silent_is_a_drop_but_sparse_zeros_are_not() -> None:
    busy = _poisson(40.0, 600, seed=14)
    busy[500:510] = [0.0] * 10
    scores = score_series(_times(600), busy, bucket=FIVE_MIN)
    assert any(s.is_alarm and s.drop for s in scores[500:510])
    assert not any(s.is_surge for s in scores[500:510])
    sparse = _poisson(0.5, 600, seed=15)
    assert not any(s.drop for s in score_series(_times(600), sparse, bucket=FIVE_MIN))


def test_steady_large_integer_metric_is_not_held_to_poisson_noise() -> None:
    rng = np.random.default_rng(16)
    speeds = [
        float(round(65 + rng.normal(0, 1.5))) for _ in range(800)
    ]  # integers, far steadier than Poisson
    speeds[700] = 52.0
    speeds[750] = 78.0
    scores = score_series(_times(800), speeds, bucket=FIVE_MIN)
    assert scores[700].is_alarm and scores[700].drop
    assert scores[750].is_surge
    assert sum(s.is_alarm for s in scores[100:700]) <= 2
