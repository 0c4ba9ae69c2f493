"""When to poll each source next, and when a source has gone suspiciously quiet.

Failures back off exponentially with jitter so that many sources failing together (a site outage,
our own network) do not retry in lock-step. A source is "silent" when no new item has arrived for
much longer than its own history says is normal: a busy 5ch thread that is quiet for an hour is news,
a weekly press-release feed that is quiet for three days is not.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class PollPolicy:
    interval: timedelta
    """Normal gap between polls of a healthy source."""
    max_backoff: timedelta = timedelta(hours=6)
    factor: float = 2.0
    jitter: float = 0.1
    """Spread of healthy polls: ±10% by default."""

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError("interval must be positive")
        if self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("factor must be ≥ 1 and jitter within [0, 1)")


def next_run(
    now: datetime,
    policy: PollPolicy,
    consecutive_failures: int = 0,
    *,
    retry_after: timedelta | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next poll time. After n failures the delay is drawn from [cap/2, cap] with
    cap = min(max_backoff, interval × factorⁿ); a server's Retry-After is respected as a minimum."""
    draw = (rng or random).uniform
    if consecutive_failures <= 0:
        delay = policy.interval * draw(1 - policy.jitter, 1 + policy.jitter)
    else:
        growth = policy.factor ** min(consecutive_failures, 64)
        cap = min(policy.max_backoff, policy.interval * growth) if growth < 1e9 else policy.max_backoff
        cap = max(cap, policy.interval)
        delay = cap * draw(0.5, 1.0)
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, max(policy.max_backoff, policy.interval))
    return now + delay


@dataclass(frozen=True, slots=True)
class SilenceWarning:
    code: str
    """``failing`` (consecutive errors) or ``silent`` (no new items for too long)."""
    reason_ja: str
    reason_en: str
    quiet_for: timedelta | None = None
    usual_gap: timedelta | None = None


def format_duration(value: timedelta, language: str) -> str:
    """Rounded human duration: ``3 hours`` / ``3時間``."""
    minutes = max(0, int(value.total_seconds() // 60))
    if minutes < 90:
        return f"{minutes}分" if language == "ja" else f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours}時間" if language == "ja" else f"{hours} hours"
    days = round(hours / 24)
    return f"{days}日" if language == "ja" else f"{days} days"


def usual_gap(arrivals: Sequence[datetime], *, quantile: float = 0.9, window: int = 50) -> timedelta | None:
    """The ``quantile`` of the recent gaps between new items, or None with fewer than two arrivals."""
    ordered = sorted(arrivals)[-(window + 1) :]
    gaps = sorted(later - earlier for earlier, later in itertools.pairwise(ordered))
    if not gaps:
        return None
    index = min(len(gaps) - 1, int(quantile * (len(gaps) - 1) + 0.5))
    return gaps[index]


def check_silence(
    arrivals: Sequence[datetime],
    now: datetime,
    consecutive_errors: int = 0,
    *,
    error_threshold: int = 3,
    min_gaps: int = 5,
    factor: float = 3.0,
    min_silence: timedelta = timedelta(hours=1),
    default_silence: timedelta | None = None,
) -> SilenceWarning | None:
    """A warning when the source keeps failing or has been quiet for ``factor`` × its usual (90th
    percentile) gap — never less than ``min_silence``. With fewer than ``min_gaps`` gaps of history,
    ``default_silence`` is used if given, else no silence warning is raised."""
    if consecutive_errors >= error_threshold:
        return SilenceWarning(
            "failing",
            f"取得が{consecutive_errors}回連続で失敗しています。URLや相手サイトの状態を確認してください。",
            f"Fetching failed {consecutive_errors} times in a row; check the URL and the site.",
        )
    if not arrivals:
        return None
    last = max(arrivals)
    quiet = now - last
    gap = usual_gap(arrivals)
    enough_history = gap is not None and len(arrivals) - 1 >= min_gaps
    if enough_history and gap is not None:
        limit = max(min_silence, gap * factor)
    elif default_silence is not None:
        limit = max(min_silence, default_silence)
    else:
        return None
    if quiet <= limit:
        return None
    if enough_history and gap is not None:
        usual_ja = f"（普段は長くても約{format_duration(gap, 'ja')}ごとに新着があります）"
        usual_en = f" (new items usually arrive at least every {format_duration(gap, 'en')})"
    else:
        usual_ja = usual_en = ""
    return SilenceWarning(
        "silent",
        f"{format_duration(quiet, 'ja')}新しい項目がありません{usual_ja}。ソースが止まっていないか確認してください。",
        f"No new items for {format_duration(quiet, 'en')}{usual_en}; check that the source still works.",
        quiet_for=quiet,
        usual_gap=gap if enough_history else None,
    )
