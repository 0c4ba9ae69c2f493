"""The online burst detector for one series.

Per bucket, strictly causally:
1. predict the expected value from the baseline learned on earlier buckets (see `baseline`), multiplied by a
   declared benign window's multiplier when one covers the bucket;
2. standardise the excess: a Poisson tail / Anscombe path for counts with an estimated overdispersion, a
   robust z (mean absolute deviation) for real values; shrink it while the history is short (cold start);
3. accumulate it in a CUSUM so a slow onset builds evidence over a few buckets while a single noisy bucket
   does not: evidence = max(z, weight * cusum);
4. for counts, cap the evidence while the run holds fewer than `min_count` posts or less than `min_excess`
   above expectation, so 0 -> 2 mentions is never an alarm;
5. map the evidence monotonically to a score in [0, 1] (0.5 at `alarm_evidence`);
6. learn from the bucket, winsorised so a burst does not teach the baseline that bursts are normal, unless
   the excess has lasted long enough to be a new level (a launch), and not at all inside a benign window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from hikeshi.detection.baseline import SeasonalBaseline
from hikeshi.detection.explain import burst_reason
from hikeshi.detection.tails import anscombe, anscombe_inverse, anscombe_residual, count_z
from hikeshi.detection.types import BenignWindow, BurstScore, DetectorConfig

STATE_VERSION = 1
_EPOCH = datetime(1970, 1, 1)
MAD_TO_SIGMA = 1.2533  # mean absolute deviation -> standard deviation for a normal law
DROP_MIN_EXPECTED = 10.0  # counts: below this expected level, drops are not scored in "auto" direction
POISSON_FLOOR_UNTIL = 10.0  # expected counts up to this keep a dispersion of at least 1
MIN_DISPERSION = 0.02
MIN_REAL_HISTORY = 4  # real values seen before their spread is trusted
ADAPT_AFTER_FACTOR = 1.5  # a one-sided excess lasting this many level half-lives is taken as a new level


def _clock(moment: datetime) -> tuple[float, float]:
    """(absolute seconds, local wall-clock seconds). Wall time drives the daily/weekly slots."""
    offset = moment.utcoffset()
    if offset is None:
        wall = (moment - _EPOCH).total_seconds()
        return wall, wall
    absolute = moment.timestamp()
    return absolute, absolute + offset.total_seconds()


class BurstDetector:
    """Online detector for ONE series of regular buckets. Feed buckets oldest first with `update`."""

    def __init__(
        self,
        bucket: timedelta,
        config: DetectorConfig | None = None,
        benign_windows: Sequence[BenignWindow] = (),
    ) -> None:
        if bucket.total_seconds() <= 0:
            raise ValueError(f"bucket must be positive, got {bucket}")
        self.bucket = bucket
        self.config = config or DetectorConfig()
        self.benign_windows: list[BenignWindow] = list(benign_windows)
        cfg = self.config
        self._bucket_s = bucket.total_seconds()
        self._baseline = SeasonalBaseline(
            self._bucket_s,
            level_halflife=cfg.level_halflife,
            daily_decay=cfg.daily_decay,
            weekly_decay=cfg.weekly_decay,
        )
        self._scale_alpha = 1.0 - math.pow(0.5, 1.0 / cfg.scale_halflife)
        self._adapt_after = max(3, round(ADAPT_AFTER_FACTOR * cfg.level_halflife))
        self._is_count = cfg.mode != "real"
        self._last_abs: float | None = None
        self._aware: bool | None = None
        self._n = 0
        self._dispersion = 1.0  # variance of Anscombe residuals (1 for Poisson counts)
        self._abs_dev = 0.0  # mean absolute residual, real-valued path
        self._cusum_up = 0.0
        self._cusum_down = 0.0
        self._run_observed = 0.0
        self._run_excess = 0.0
        self._excess_run = 0  # consecutive buckets beyond the winsor limit on the same side
        self._excess_side = 0

    # ------------------------------------------------------------------ public API
    def declare_benign(self, window: BenignWindow) -> None:
        self.benign_windows.append(window)

    @property
    def observations(self) -> int:
        return self._n

    @property
    def is_count(self) -> bool:
        return self._is_count

    def update(self, timestamp: datetime, value: float) -> BurstScore:
        """Score the bucket starting at `timestamp`, then learn from it."""
        cfg = self.config
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"value at {timestamp.isoformat()} is not a finite number: {value}")
        abs_s, wall_s = self._advance_clock(timestamp)
        if self._is_count and cfg.mode == "auto" and (value < 0.0 or value != math.floor(value)):
            self._switch_to_real()
        multiplicative = self._is_count

        window = self._benign_at(timestamp)
        expectation = self._baseline.expected(abs_s, wall_s, multiplicative)
        if expectation is None:
            self._learn(abs_s, wall_s, value, None, None)
            return BurstScore(
                timestamp=timestamp,
                score=0.0,
                observed=value,
                expected=None,
                ratio=None,
                z=0.0,
                evidence=0.0,
                reason=burst_reason(
                    value, None, None, 0.0, seasonal=False, warming_up=True, count=self._is_count
                ),
                warming_up=True,
            )
        expected = expectation.value
        # Drops matter for real-valued metrics and for busy counts (a collector that stopped); for a sparse
        # count series an empty bucket is just the usual.
        two_sided = cfg.direction == "both" or (
            cfg.direction == "auto" and (not self._is_count or expected >= DROP_MIN_EXPECTED)
        )
        usual = expected
        if window is not None:
            expected = expected * window.multiplier if expected > 0.0 else expected
        # Until the daily rhythm is known a morning rise looks like a surge and the night like a drop:
        # demand a clearer excess on either side.
        # A declared window is an allowance upwards; falling short of the declared multiple is no drop.
        reference, low_reference = expected, usual
        if expectation.rhythm_unknown and self._is_count:
            reference, low_reference = expected * cfg.cold_ratio, usual / cfg.cold_ratio
        if value >= low_reference:
            z = max(0.0, self._standardise(value, reference))
        else:
            z = min(0.0, self._standardise(value, low_reference))
        warming_up = self._n < cfg.warmup
        if not self._is_count and self._n < MIN_REAL_HISTORY:
            z = 0.0  # two or three real values say nothing about their spread
        z /= math.sqrt(1.0 + cfg.warmup / self._n)

        up = max(0.0, z)
        if warming_up:
            self._cusum_up = self._cusum_down = 0.0  # nothing to accumulate against yet
        else:
            self._cusum_up = self._accumulate(self._cusum_up, up)
        evidence = max(up, cfg.cusum_weight * self._cusum_up)
        direction = 1
        if two_sided:
            down = max(0.0, -z)
            if not warming_up:
                self._cusum_down = self._accumulate(self._cusum_down, down)
            down_evidence = max(down, cfg.cusum_weight * self._cusum_down)
            if down_evidence > evidence:
                evidence, direction = down_evidence, -1
        gated = False
        if self._is_count and direction > 0:
            if self._cusum_up > 0.0:
                self._run_observed += value
                self._run_excess += value - reference
            else:
                self._run_observed, self._run_excess = value, value - reference
            if (self._run_observed < cfg.min_count or self._run_excess < cfg.min_excess) and (
                evidence > cfg.gated_evidence_cap
            ):
                evidence, gated = cfg.gated_evidence_cap, True
        score = self._score(evidence)
        ratio = value / expected if expected > 0.0 else None
        reason = burst_reason(
            value,
            expected,
            ratio,
            score,
            seasonal=expectation.seasonal,
            warming_up=warming_up,
            count=self._is_count,
            z=z,
            sustained=evidence > abs(z) + 1e-9,
            gated=gated,
            benign=window,
            history_days=expectation.history_days,
            drop=direction < 0,
        )
        if window is None:
            self._learn(abs_s, wall_s, value, expected, reference)
        else:
            self._n += 1  # a declared benign bucket teaches the baseline nothing
        return BurstScore(
            timestamp=timestamp,
            score=score,
            observed=value,
            expected=expected,
            ratio=ratio,
            z=z,
            evidence=evidence,
            reason=reason,
            seasonal=expectation.seasonal,
            benign=window is not None,
            warming_up=warming_up,
            drop=direction < 0,
        )

    # ------------------------------------------------------------------ internals
    def _advance_clock(self, timestamp: datetime) -> tuple[float, float]:
        aware = timestamp.utcoffset() is not None
        if self._aware is None:
            self._aware = aware
        elif aware != self._aware:
            raise ValueError(f"timestamp {timestamp.isoformat()} mixes timezone-aware and naive timestamps")
        abs_s, wall_s = _clock(timestamp)
        if self._last_abs is not None:
            gap = abs_s - self._last_abs
            if gap <= 0:
                raise ValueError(
                    f"timestamp {timestamp.isoformat()} is not after the previous bucket (out of order or duplicate)"
                )
            if gap > self.config.max_gap_buckets * self._bucket_s:
                # Missing data: the accumulated evidence belonged to another stretch of time.
                self._cusum_up = self._cusum_down = 0.0
                self._excess_run = 0
        self._last_abs = abs_s
        return abs_s, wall_s

    def _switch_to_real(self) -> None:
        self._is_count = False
        self._cusum_up = self._cusum_down = 0.0

    def _benign_at(self, timestamp: datetime) -> BenignWindow | None:
        for window in self.benign_windows:
            if window.contains(timestamp):
                return window
        return None

    def _accumulate(self, cusum: float, excess: float) -> float:
        """One CUSUM step. A single bucket adds at most `cusum_step_cap`: one extreme bucket is judged on its
        own z, the sum is there to gather moderate evidence over several buckets."""
        cfg = self.config
        step = min(excess, cfg.cusum_step_cap) - cfg.cusum_k
        return min(cfg.cusum_cap, max(0.0, cusum + step))

    def _standardise(self, value: float, expected: float) -> float:
        if self._is_count:
            return count_z(value, expected, self._effective_dispersion(expected))
        return (value - expected) / self._real_scale(expected)

    def _effective_dispersion(self, expected: float) -> float:
        """Overdispersion is taken as measured; underdispersion only where counts are large.

        Small counts keep the Poisson floor (1): a quiet rule's residuals look tame until they don't. Large
        integer series that are steadier than Poisson (speeds, levels, queue lengths) may go below it, or a
        5% rise in a metric with a 1% spread would go unnoticed.
        """
        if expected <= POISSON_FLOOR_UNTIL:
            floor = 1.0
        else:
            floor = max(MIN_DISPERSION, (POISSON_FLOOR_UNTIL / expected) ** 2)
        return max(floor, self._dispersion)

    def _real_scale(self, expected: float) -> float:
        floor = 1e-9 + 1e-4 * abs(expected)
        return max(MAD_TO_SIGMA * self._abs_dev, floor)

    def _score(self, evidence: float) -> float:
        cfg = self.config
        if evidence <= 0.0:
            return 0.0
        origin = 1.0 / (1.0 + math.exp(cfg.slope * cfg.alarm_evidence))
        logistic = 1.0 / (1.0 + math.exp(-cfg.slope * (evidence - cfg.alarm_evidence)))
        return min(1.0, max(0.0, (logistic - origin) / (1.0 - origin)))

    def _learn(
        self, abs_s: float, wall_s: float, value: float, expected: float | None, limit: float | None
    ) -> None:
        """Learn from a bucket; `limit` is the expectation the winsorising limits are drawn around."""
        cfg = self.config
        self._n += 1
        learned = clipped = value
        if expected is not None and limit is not None and self._n > cfg.warmup:
            learned, clipped = self._winsorise(value, expected, limit)
        if expected is not None:
            # Spread is always learned from the clipped value: a firestorm is not evidence of noisiness.
            if self._is_count:
                residual = anscombe_residual(clipped, expected)
                alpha = max(self._scale_alpha, 1.0 / self._n)  # running mean at first, then EWMA
                self._dispersion += alpha * (residual * residual - self._dispersion)
                self._dispersion = max(MIN_DISPERSION, self._dispersion)
            else:
                deviation = abs(clipped - expected)
                alpha = max(self._scale_alpha, 1.0 / self._n)
                self._abs_dev += alpha * (deviation - self._abs_dev)
        self._baseline.learn(abs_s, wall_s, learned, self._is_count, clipped)

    def _winsorise(self, value: float, expected: float, upper_reference: float) -> tuple[float, float]:
        """(value for the fast level, value clipped at winsor_z).

        The fast level gets the clipped value too, unless a one-sided excess has lasted long enough to be
        a new level (a launch). The upper limit is drawn around `upper_reference` (the cold-start allowance), the lower one around
        the expectation itself.
        """
        cfg = self.config
        if self._is_count:
            spread = cfg.winsor_z * math.sqrt(self._effective_dispersion(expected))
            high = anscombe_inverse(anscombe(upper_reference) + spread)
            low = anscombe_inverse(anscombe(expected) - spread)
        else:
            spread = cfg.winsor_z * self._real_scale(expected)
            high, low = upper_reference + spread, expected - spread
        side = 1 if value > high else -1 if value < low else 0
        if side == 0:
            self._excess_run = 0
            return value, value
        self._excess_run = self._excess_run + 1 if side == self._excess_side else 1
        self._excess_side = side
        clipped = high if side > 0 else low
        if self._excess_run >= self._adapt_after:
            return value, clipped
        return clipped, clipped

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict[str, Any]:
        """JSON-serialisable snapshot; `from_state` restores a detector that continues identically."""
        return {
            "version": STATE_VERSION,
            "bucket_s": self._bucket_s,
            "config": self.config.to_dict(),
            "benign_windows": [w.to_dict() for w in self.benign_windows],
            "baseline": self._baseline.state(),
            "is_count": self._is_count,
            "last_abs": self._last_abs,
            "aware": self._aware,
            "n": self._n,
            "dispersion": self._dispersion,
            "abs_dev": self._abs_dev,
            "cusum_up": self._cusum_up,
            "cusum_down": self._cusum_down,
            "run_observed": self._run_observed,
            "run_excess": self._run_excess,
            "excess_run": self._excess_run,
            "excess_side": self._excess_side,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> BurstDetector:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported detector state version {data.get('version')!r}")
        detector = cls(
            timedelta(seconds=float(data["bucket_s"])),
            DetectorConfig.from_dict(dict(data["config"])),
            [BenignWindow.from_dict(w) for w in data["benign_windows"]],
        )
        detector._baseline.restore(dict(data["baseline"]))
        detector._is_count = bool(data["is_count"])
        detector._last_abs = None if data["last_abs"] is None else float(data["last_abs"])
        detector._aware = None if data["aware"] is None else bool(data["aware"])
        detector._n = int(data["n"])
        detector._dispersion = float(data["dispersion"])
        detector._abs_dev = float(data["abs_dev"])
        detector._cusum_up = float(data["cusum_up"])
        detector._cusum_down = float(data["cusum_down"])
        detector._run_observed = float(data["run_observed"])
        detector._run_excess = float(data["run_excess"])
        detector._excess_run = int(data["excess_run"])
        detector._excess_side = int(data["excess_side"])
        return detector
