"""The expected value of the next bucket: a recent level blended with a daily / weekly profile.

Two predictors run side by side:
- the *level*: an exponentially weighted mean of recent buckets (a plain running mean while warming up);
- the *seasonal* predictor: the decayed mean of this slot of the day (hourly slots, or the bucket when it is
  coarser), times a day-of-week factor once two weeks are known, corrected by how the last hours compared with
  their own profile (so a launch that doubles traffic is followed within hours, not days).
Each predictor's recent absolute error is tracked and they are blended by inverse squared error, so a series
without a daily rhythm (CPU load, latency) quietly falls back to the level and a rhythmic one leans on the
profile. Seasonality is only attempted when the bucket is at most two hours (daily) or one day (weekly) and
enough history exists: one day for the daily profile, two weeks for the weekly factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

DAY_S = 86_400.0
WEEK_DAYS = 7
MIN_DAYS_DAILY = 1.0
MIN_DAYS_WEEKLY = 8.0
CORRECTION_CLAMP = 4.0
PROFILE_MAX_RATIO = 2.5
PROFILE_SLACK = 2.0


@dataclass(slots=True)
class Expectation:
    value: float
    seasonal: bool
    history_days: float
    rhythm_unknown: bool = False  # a daily rhythm is possible at this bucket size but not learned yet


def _ewma_alpha(halflife: float) -> float:
    return 1.0 - math.pow(0.5, 1.0 / halflife)


class SeasonalBaseline:
    """Learns what a bucket usually holds. `wall_s` is local wall-clock seconds since the epoch."""

    def __init__(
        self,
        bucket_s: float,
        *,
        level_halflife: float,
        daily_decay: float,
        weekly_decay: float,
    ) -> None:
        self.bucket_s = bucket_s
        self.level_alpha = _ewma_alpha(level_halflife)
        self.daily_decay = daily_decay
        self.weekly_decay = weekly_decay
        slot_s = max(bucket_s, 3600.0)
        self.slot_s = slot_s if bucket_s <= 7200.0 and DAY_S % slot_s == 0 else 0.0
        self.n_slots = int(DAY_S // self.slot_s) if self.slot_s else 0
        self.weekly_enabled = bucket_s <= DAY_S
        self.n = 0
        self.first_abs: float | None = None
        self.level = 0.0
        self.slot_sum = [0.0] * self.n_slots
        self.slot_weight = [0.0] * self.n_slots
        self.slot_day = [0] * self.n_slots
        self.dow_sum = [0.0] * WEEK_DAYS
        self.dow_weight = [0.0] * WEEK_DAYS
        self.dow_week = [0] * WEEK_DAYS
        self.day_index: int | None = None
        self.day_sum = 0.0
        self.day_n = 0
        # Correction of the profile by the recent past: ratio num/den for counts, additive for real values.
        self.corr_num = 0.0
        self.corr_den = 0.0
        self.corr_add = 0.0
        self.corr_ready = False
        self.err_level: float | None = None
        self.err_seasonal: float | None = None

    # ------------------------------------------------------------------ prediction
    def _slot_mean(self, wall_s: float) -> float | None:
        """The profile at this moment, interpolated between the centres of the two nearest slots.

        Interpolation matters: traffic can halve within the last hour of the evening, and a step profile
        would call the end of every hour a drop and the start of every morning hour a surge.
        """
        if not self.n_slots:
            return None
        position = (wall_s % DAY_S) / self.slot_s - 0.5
        lower = math.floor(position)
        fraction = position - lower
        first, second = lower % self.n_slots, (lower + 1) % self.n_slots
        w_first, w_second = self.slot_weight[first], self.slot_weight[second]
        if w_first <= 0.0 or w_second <= 0.0:
            return None
        return (1.0 - fraction) * self.slot_sum[first] / w_first + fraction * self.slot_sum[second] / w_second

    def _dow_adjustment(self, wall_s: float, multiplicative: bool) -> float | None:
        """Factor (or offset) of this weekday against the mean weekday, None when unknown."""
        if not all(w > 0.0 for w in self.dow_weight):
            return None
        means = [s / w for s, w in zip(self.dow_sum, self.dow_weight, strict=True)]
        average = sum(means) / WEEK_DAYS
        today = means[(int(wall_s // DAY_S) + 3) % WEEK_DAYS]  # 1970-01-01 was a Thursday
        if multiplicative:
            return today / average if average > 0.0 else None
        return today - average

    def _profile(self, wall_s: float, history_days: float, multiplicative: bool) -> float | None:
        """The seasonal value before the recent-past correction."""
        weekly = None
        if self.weekly_enabled and history_days >= MIN_DAYS_WEEKLY:
            weekly = self._dow_adjustment(wall_s, multiplicative)
        if self.n_slots:
            if history_days < MIN_DAYS_DAILY:
                return None
            base = self._slot_mean(wall_s)
            if base is None:
                return None
            if weekly is None:
                return base
            return base * weekly if multiplicative else base + weekly
        if weekly is None or not self.weekly_enabled:
            return None
        # Buckets of several hours up to a day: the weekday mean itself is the profile.
        means = [s / w for s, w in zip(self.dow_sum, self.dow_weight, strict=True)]
        return means[(int(wall_s // DAY_S) + 3) % WEEK_DAYS]

    def _corrected(self, profile: float, multiplicative: bool) -> float:
        if not self.corr_ready:
            return profile
        if multiplicative:
            if self.corr_den <= 0.0:
                return profile
            ratio = self.corr_num / self.corr_den
            ratio = min(CORRECTION_CLAMP, max(1.0 / CORRECTION_CLAMP, ratio))
            return profile * ratio
        return profile + self.corr_add

    def expected(self, abs_s: float, wall_s: float, multiplicative: bool) -> Expectation | None:
        if self.n == 0 or self.first_abs is None:
            return None
        history_days = (abs_s - self.first_abs) / DAY_S
        profile = self._profile(wall_s, history_days, multiplicative)
        if profile is None:
            return Expectation(self.level, False, history_days, rhythm_unknown=self.n_slots > 0)
        seasonal = self._corrected(profile, multiplicative)
        if multiplicative:
            seasonal = max(0.0, seasonal)
        e_level = self.err_level if self.err_level is not None else 1.0
        e_seasonal = self.err_seasonal if self.err_seasonal is not None else e_level
        denominator = e_level * e_level + e_seasonal * e_seasonal
        weight = 0.5 if denominator <= 0.0 else (e_level * e_level) / denominator
        value = weight * seasonal + (1.0 - weight) * self.level
        return Expectation(value, weight >= 0.5, history_days)

    # ------------------------------------------------------------------ learning
    def learn(
        self,
        abs_s: float,
        wall_s: float,
        value: float,
        multiplicative: bool,
        profile_value: float | None = None,
    ) -> None:
        """Fold one (already winsorised) bucket into the baseline.

        `profile_value`, when given, is what the slow daily/weekly profile learns instead of `value`: while
        a long excess is being accepted as a new level the fast parts follow it, but the profile only
        learns the clipped value, so a 15-hour firestorm does not teach it that nights are busy.
        """
        slow = value if profile_value is None else profile_value
        if self.first_abs is None:
            self.first_abs = abs_s
        history_days = (abs_s - self.first_abs) / DAY_S
        profile = self._profile(wall_s, history_days, multiplicative)
        alpha = self.level_alpha
        if profile is not None:
            seasonal = self._corrected(profile, multiplicative)
            if multiplicative:
                seasonal = max(0.0, seasonal)
            err = abs(value - seasonal)
            self.err_seasonal = (
                err if self.err_seasonal is None else self.err_seasonal + alpha * (err - self.err_seasonal)
            )
            if self.corr_ready:
                self.corr_num += alpha * (value - self.corr_num)
                self.corr_den += alpha * (profile - self.corr_den)
                self.corr_add += alpha * ((value - profile) - self.corr_add)
            else:
                self.corr_num, self.corr_den, self.corr_add = value, profile, value - profile
                self.corr_ready = True
        if self.n:
            err = abs(value - self.level)
            self.err_level = (
                err if self.err_level is None else self.err_level + alpha * (err - self.err_level)
            )
        self.n += 1
        level_alpha = max(alpha, 1.0 / self.n)
        self.level += level_alpha * (value - self.level)
        if multiplicative:
            slow = self._cap_for_profile(wall_s, slow)
        self._learn_slot(wall_s, slow)
        self._learn_day(wall_s, slow)

    def _cap_for_profile(self, wall_s: float, value: float) -> float:
        """Counts: the profile takes at most PROFILE_MAX_RATIO x its current value per bucket, so a launch
        (x2) reaches it in days while a firestorm (x10 and more) barely moves it."""
        if not self.n_slots:
            return value
        slot = int((wall_s % DAY_S) // self.slot_s)
        weight = self.slot_weight[slot]
        if weight <= 0.0:
            return value
        current = self.slot_sum[slot] / weight
        return min(value, PROFILE_MAX_RATIO * current + PROFILE_SLACK)

    def _learn_slot(self, wall_s: float, value: float) -> None:
        if not self.n_slots:
            return
        slot = int((wall_s % DAY_S) // self.slot_s)
        day = int(wall_s // DAY_S)
        elapsed = day - self.slot_day[slot]
        if elapsed > 0 and self.slot_weight[slot] > 0.0:
            factor = math.pow(self.daily_decay, elapsed)
            self.slot_sum[slot] *= factor
            self.slot_weight[slot] *= factor
        self.slot_day[slot] = day
        self.slot_sum[slot] += value
        self.slot_weight[slot] += 1.0

    def _learn_day(self, wall_s: float, value: float) -> None:
        """Whole days go into the weekday profile only once they are complete."""
        if not self.weekly_enabled:
            return
        day = int(wall_s // DAY_S)
        if self.day_index is not None and day != self.day_index:
            self._commit_day()
        self.day_index = day
        self.day_sum += value
        self.day_n += 1

    def _commit_day(self) -> None:
        if self.day_index is None or self.day_n == 0:
            return
        dow = (self.day_index + 3) % WEEK_DAYS
        week = self.day_index // WEEK_DAYS
        elapsed = week - self.dow_week[dow]
        if elapsed > 0 and self.dow_weight[dow] > 0.0:
            factor = math.pow(self.weekly_decay, elapsed)
            self.dow_sum[dow] *= factor
            self.dow_weight[dow] *= factor
        self.dow_week[dow] = week
        self.dow_sum[dow] += self.day_sum / self.day_n
        self.dow_weight[dow] += 1.0
        self.day_sum = 0.0
        self.day_n = 0

    # ------------------------------------------------------------------ persistence
    _FIELDS = (
        "n",
        "first_abs",
        "level",
        "slot_sum",
        "slot_weight",
        "slot_day",
        "dow_sum",
        "dow_weight",
        "dow_week",
        "day_index",
        "day_sum",
        "day_n",
        "corr_num",
        "corr_den",
        "corr_add",
        "corr_ready",
        "err_level",
        "err_seasonal",
    )

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self._FIELDS:
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, list) else value
        return out

    def restore(self, data: dict[str, Any]) -> None:
        for name in self._FIELDS:
            if name not in data:
                raise ValueError(f"baseline state lacks {name!r}")
            current = getattr(self, name)
            value = data[name]
            if isinstance(current, list):
                if not isinstance(value, list) or len(value) != len(current):
                    raise ValueError(f"baseline state field {name!r} has the wrong shape")
                value = list(value)
            setattr(self, name, value)
