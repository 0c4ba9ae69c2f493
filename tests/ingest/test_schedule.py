from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from hikeshi.ingest.schedule import PollPolicy, check_silence, format_duration, next_run, usual_gap

NOW = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
POLICY = PollPolicy(interval=timedelta(minutes=10), max_backoff=timedelta(hours=2))


def test_healthy_source_polls_near_its_interval() -> None:
    rng = random.Random(1)
    delays = [next_run(NOW, POLICY, 0, rng=rng) - NOW for _ in range(200)]
    assert min(delays) >= timedelta(minutes=9) and max(delays) <= timedelta(minutes=11)
    assert len(set(delays)) > 100  # jittered, not lock-step


def test_failures_back_off_exponentially_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(2)
    for failures, cap in [(1, 20), (2, 40), (3, 80), (4, 120), (30, 120), (10_000, 120)]:
        delay = next_run(NOW, POLICY, failures, rng=rng) - NOW
        assert timedelta(minutes=cap / 2) <= delay <= timedelta(minutes=cap), failures


def test_retry_after_is_respected_but_bounded() -> None:
    delay = next_run(NOW, POLICY, 1, retry_after=timedelta(minutes=90), rng=random.Random(3)) - NOW
    assert delay == timedelta(minutes=90)
    capped = next_run(NOW, POLICY, 1, retry_after=timedelta(days=3), rng=random.Random(3)) - NOW
    assert capped == timedelta(hours=2)


def test_bad_policy() -> None:
    with pytest.raises(ValueError):
        PollPolicy(interval=timedelta(0))


def _hourly(count: int) -> list[datetime]:
    return [NOW - timedelta(hours=count - i) for i in range(count)]


def test_busy_source_gone_quiet_is_reported_in_both_languages() -> None:
    arrivals = _hourly(20)  # one item an hour, the last one an hour ago
    assert check_silence(arrivals, NOW) is None
    warning = check_silence(arrivals, NOW + timedelta(hours=5))
    assert warning is not None and warning.code == "silent"
    assert "6時間新しい項目がありません" in warning.reason_ja
    assert "No new items for 6 hours" in warning.reason_en
    assert warning.usual_gap == timedelta(hours=1)


def test_slow_source_is_judged_by_its_own_history() -> None:
    weekly = [NOW - timedelta(days=7 * i) for i in range(8)]
    assert check_silence(weekly, NOW + timedelta(days=6)) is None
    warning = check_silence(weekly, NOW + timedelta(days=22))
    assert warning is not None and "22日" in warning.reason_ja


def test_short_history_uses_the_default_or_stays_quiet() -> None:
    few = _hourly(3)
    assert check_silence(few, NOW + timedelta(days=3)) is None
    warning = check_silence(few, NOW + timedelta(days=3), default_silence=timedelta(days=1))
    assert warning is not None and warning.usual_gap is None


def test_consecutive_errors_are_reported() -> None:
    warning = check_silence(_hourly(20), NOW, consecutive_errors=4)
    assert warning is not None and warning.code == "failing"
    assert "4回連続" in warning.reason_ja and "4 times" in warning.reason_en
    assert check_silence([], NOW, consecutive_errors=1) is None


def test_usual_gap_and_durations() -> None:
    assert usual_gap([NOW]) is None
    assert usual_gap(_hourly(10)) == timedelta(hours=1)
    assert format_duration(timedelta(minutes=1), "en") == "1 minute"
    assert format_duration(timedelta(hours=3), "ja") == "3時間"
