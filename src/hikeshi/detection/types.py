"""Value types shared by the detector, the risk assessment and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Mode = Literal["auto", "count", "real"]
Direction = Literal["auto", "up", "both"]


@dataclass(frozen=True, slots=True)
class BurstScore:
    """The detector's verdict on one bucket.

    `score` is in [0, 1] and rises monotonically with the evidence; 0.5 is the default alarm line.
    `ratio` is observed / expected (None while there is no baseline, or when expected is 0);
    `z` is the standardised excess of this bucket (Anscombe scale for counts, robust z for real values);
    `evidence` is what the score is computed from: the larger of `z` and the accumulated (CUSUM) excess,
    capped when the absolute excess is too small to matter.
    """

    timestamp: datetime
    score: float
    observed: float
    expected: float | None
    ratio: float | None
    z: float
    evidence: float
    reason: str
    seasonal: bool = False
    benign: bool = False
    warming_up: bool = False
    drop: bool = False  # the evidence is a fall below the usual level, not a surge

    @property
    def is_alarm(self) -> bool:
        return self.score >= 0.5

    @property
    def is_surge(self) -> bool:
        """An alarm on the upper side: what risk levels are built from."""
        return self.score >= 0.5 and not self.drop


@dataclass(frozen=True, slots=True)
class BenignWindow:
    """A burst the organisation declared in advance (a TV commercial, a campaign).

    Inside [start, end) the expected level is multiplied by `multiplier`, and the baseline does not learn
    from the bucket, so the campaign neither raises an alarm nor inflates the usual level afterwards.
    """

    start: datetime
    end: datetime
    multiplier: float = 3.0
    label: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"benign window ends ({self.end}) before it starts ({self.start})")
        if not self.multiplier >= 1.0:
            raise ValueError(f"benign window multiplier must be >= 1, got {self.multiplier}")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "multiplier": self.multiplier,
            "label": self.label,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenignWindow:
        return cls(
            start=datetime.fromisoformat(str(data["start"])),
            end=datetime.fromisoformat(str(data["end"])),
            multiplier=float(data.get("multiplier", 3.0)),
            label=str(data.get("label", "")),
        )


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Tuning of one detector. Durations are counted in buckets so the detector is scale-free in time.

    mode: "count" uses a variance-stabilised (Anscombe) Poisson/overdispersed path; "real" a robust z-score;
      cold_ratio: until the daily rhythm is learned (a day of sub-daily buckets), counts are scored against
      this multiple of the expected level, so a new rule's first morning is not an alarm but a surge still is.
    mode: "auto" starts as counts and switches to real for good once a non-integer or negative value appears.
    direction: "up" scores surges only; "both" also scores drops; "auto" = both for real values and for counts
      expected at 10 or more per bucket (a busy rule going quiet is a stopped collector), up for sparser counts.
    """

    mode: Mode = "auto"
    direction: Direction = "auto"
    level_halflife: float = 24.0
    scale_halflife: float = 288.0
    warmup: int = 12
    cold_ratio: float = 3.0
    cusum_k: float = 1.5
    cusum_weight: float = 0.7
    cusum_step_cap: float = 4.0
    cusum_cap: float = 12.0
    alarm_evidence: float = 4.5
    slope: float = 1.2
    winsor_z: float = 3.5
    min_count: float = 3.0
    min_excess: float = 2.0
    gated_evidence_cap: float = 2.5
    max_gap_buckets: int = 3
    daily_decay: float = 0.75
    weekly_decay: float = 0.6

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "count", "real"):
            raise ValueError(f"mode must be auto, count or real, got {self.mode!r}")
        if self.direction not in ("auto", "up", "both"):
            raise ValueError(f"direction must be auto, up or both, got {self.direction!r}")
        if self.level_halflife <= 0 or self.scale_halflife <= 0:
            raise ValueError("half-lives must be positive")
        if not 0.0 < self.daily_decay < 1.0 or not 0.0 < self.weekly_decay < 1.0:
            raise ValueError("decays must be in (0, 1)")

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
