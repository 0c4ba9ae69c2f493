"""`hikeshi eval detection`: score the detector on labelled series.

Default corpus: the seeded synthetic generator (`synthetic`). With `--data DIR --labels FILE.json` any
`timestamp,value` CSV files are scored against NAB-format labels: {"relative/path.csv": [[start, end], ...]}.
Exit codes: 0 ok, 1 data error (unreadable or malformed corpus), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from hikeshi.detection.batch import infer_bucket, score_series
from hikeshi.detection.csvio import SeriesFormatError, check_intervals, parse_timestamp, read_text
from hikeshi.detection.scoring import (
    PROFILES,
    FloatArray,
    NabLayout,
    episode_tally,
    nab_tally,
    normalised_score,
    probation_period,
)
from hikeshi.detection.synthetic import FAST_RATIO, generate_corpus
from hikeshi.detection.types import BenignWindow

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
THRESHOLDS = np.round(np.concatenate([np.arange(0.05, 0.99, 0.01), [0.99, 0.995, 0.999]]), 3)
WEEK_S = 7 * 86400.0
LAUNCH_GRACE_S = 6 * 3600.0


@dataclass(slots=True)
class ScoredSeries:
    name: str
    times_s: FloatArray
    scores: FloatArray
    windows: list[tuple[float, float]]
    bucket_s: float
    fast: list[bool] = field(default_factory=list)  # per window: a surge reaching 5x within 30 minutes
    launches: list[float] = field(default_factory=list)
    benign: list[tuple[float, float]] = field(default_factory=list)

    @property
    def weeks(self) -> float:
        if len(self.times_s) == 0:
            return 0.0
        return float(self.times_s[-1] - self.times_s[0] + self.bucket_s) / WEEK_S


def _seconds(moment: datetime) -> float:
    if moment.utcoffset() is not None:
        return moment.timestamp()
    return (moment - datetime(1970, 1, 1)).total_seconds()


def _scored(
    name: str,
    timestamps: Sequence[datetime],
    values: Sequence[float],
    windows: Sequence[tuple[datetime, datetime]],
    bucket: timedelta,
    benign: Sequence[BenignWindow] = (),
) -> ScoredSeries:
    results = score_series(timestamps, values, bucket=bucket, benign_windows=benign)
    return ScoredSeries(
        name=name,
        times_s=np.array([_seconds(t) for t in timestamps], dtype=float),
        scores=np.array([r.score for r in results], dtype=float),
        windows=[(_seconds(a), _seconds(b)) for a, b in windows],
        bucket_s=bucket.total_seconds(),
        benign=[(_seconds(w.start), _seconds(w.end)) for w in benign],
    )


def synthetic_corpus(seed: int, n_series: int, weeks: int) -> list[ScoredSeries]:
    corpus = []
    for series in generate_corpus(seed, n_series, weeks):
        scored = _scored(
            series.name,
            series.timestamps,
            series.values,
            series.windows,
            timedelta(minutes=5),
            series.benign,
        )
        scored.fast = [e.fast for e in series.events]
        scored.launches = [_seconds(t) for t in series.launches]
        corpus.append(scored)
    return corpus


def labelled_corpus(data_dir: Path, labels_path: Path) -> list[ScoredSeries]:
    """Score every file named in a NAB-format label file. Raises SeriesFormatError / ValueError with context."""
    try:
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{labels_path}: cannot read labels: {exc}") from None
    if not isinstance(labels, dict):
        raise ValueError(f"{labels_path}: expected a JSON object mapping file -> [[start, end], ...]")
    corpus = []
    for relative, raw_windows in sorted(labels.items()):
        path = data_dir / relative
        if not isinstance(raw_windows, list) or not all(
            isinstance(w, list) and len(w) == 2 for w in raw_windows
        ):
            raise ValueError(f"{labels_path}: windows of {relative!r} must be a list of [start, end] pairs")
        try:
            windows = [(parse_timestamp(str(a)), parse_timestamp(str(b))) for a, b in raw_windows]
        except ValueError as exc:
            raise ValueError(f"{labels_path}: bad window timestamp for {relative!r}: {exc}") from None
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: cannot read: {exc}") from None
        try:
            series = read_text(text, allow_negative=True)
            if len(series.timestamps) < 2:
                raise SeriesFormatError(1, "fewer than two rows")
            bucket = infer_bucket(series.timestamps)
            check_intervals(series, bucket)
        except SeriesFormatError as exc:
            raise ValueError(f"{path}: {exc}") from None
        corpus.append(_scored(relative, series.timestamps, series.values, windows, bucket))
    return corpus


# ---------------------------------------------------------------------- metrics
def nab_results(corpus: Sequence[ScoredSeries]) -> list[dict[str, Any]]:
    layouts = [NabLayout.build(s.times_s, s.windows, probation_period(len(s.times_s))) for s in corpus]
    results = []
    for profile in PROFILES:
        best: dict[str, Any] | None = None
        for threshold in THRESHOLDS:
            tallies = [
                nab_tally(s.scores, lay, float(threshold), profile)
                for s, lay in zip(corpus, layouts, strict=True)
            ]
            raw = sum(t.raw for t in tallies)
            windows = sum(t.windows for t in tallies)
            score = normalised_score(raw, windows, profile)
            if score is None:
                break
            if best is None or score > best["score"]:
                best = {
                    "profile": profile.name,
                    "threshold": float(threshold),
                    "score": round(score, 1),
                    "true_positives": sum(t.true_positives for t in tallies),
                    "false_negatives": sum(t.false_negatives for t in tallies),
                    "false_positive_records": sum(t.false_positives for t in tallies),
                }
        if best is not None:
            results.append(best)
    return results


def operational(corpus: Sequence[ScoredSeries], threshold: float, refractory_buckets: int) -> dict[str, Any]:
    delays: list[float] = []
    fast_delays: list[float] = []
    detected = events = fast_events = fast_detected = in_windows = false_alarms = 0
    near_launch = in_benign = 0
    weeks = 0.0
    for series in corpus:
        tally = episode_tally(
            series.times_s, series.scores, series.windows, threshold, refractory_buckets * series.bucket_s
        )
        weeks += series.weeks
        events += len(series.windows)
        detected += sum(tally.detected)
        in_windows += tally.episodes_in_windows
        false_alarms += tally.false_alarms
        for i, delay in enumerate(tally.delays_s):
            is_fast = i < len(series.fast) and series.fast[i]
            fast_events += is_fast
            if delay is not None:
                delays.append(delay)
                if is_fast:
                    fast_delays.append(delay)
                    fast_detected += 1
        for moment in tally.false_alarm_times:
            if any(0 <= moment - t <= LAUNCH_GRACE_S for t in series.launches):
                near_launch += 1
            elif any(a <= moment < b for a, b in series.benign):
                in_benign += 1

    def median_minutes(values: list[float]) -> float | None:
        return round(float(np.median(values)) / 60.0, 1) if values else None

    return {
        "threshold": threshold,
        "events": events,
        "detected": detected,
        "recall": round(detected / events, 3) if events else None,
        "median_delay_min": median_minutes(delays),
        "fast_events": fast_events,
        "fast_detected": fast_detected,
        "fast_median_delay_min": median_minutes(fast_delays),
        "alarm_episodes_per_event": round(in_windows / events, 2) if events else None,
        "false_alarms": false_alarms,
        "false_alarms_near_launch": near_launch,
        "false_alarms_in_declared_benign": in_benign,
        "series_weeks": round(weeks, 1),
        "false_alarms_per_series_week": round(false_alarms / weeks, 3) if weeks else None,
    }


def at_budget(corpus: Sequence[ScoredSeries], budget: float, refractory_buckets: int) -> dict[str, Any]:
    """The most sensitive threshold whose false alarms per series-week stay within the budget."""
    chosen: dict[str, Any] | None = None
    for threshold in THRESHOLDS:
        result = operational(corpus, float(threshold), refractory_buckets)
        rate = result["false_alarms_per_series_week"]
        if rate is not None and rate <= budget:
            chosen = result
            break
    return chosen or operational(corpus, float(THRESHOLDS[-1]), refractory_buckets)


# ---------------------------------------------------------------------- report
def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    if args.data is not None:
        corpus = labelled_corpus(Path(args.data), Path(args.labels))
        source = {"kind": "labelled", "data": str(args.data), "labels": str(args.labels)}
    else:
        corpus = synthetic_corpus(args.seed, args.series, args.weeks)
        source = {"kind": "synthetic", "seed": args.seed, "series": args.series, "weeks": args.weeks}
    return {
        "source": source,
        "series": len(corpus),
        "windows": sum(len(s.windows) for s in corpus),
        "records": int(sum(len(s.times_s) for s in corpus)),
        "nab": nab_results(corpus),
        "budget": {
            "budget_false_alarms_per_series_week": args.budget,
            **at_budget(corpus, args.budget, args.refractory),
        },
        "default_threshold": operational(corpus, 0.5, args.refractory),
    }


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value}{suffix}"


def render_table(report: dict[str, Any]) -> str:
    source = report["source"]
    if source["kind"] == "synthetic":
        title = (
            f"synthetic corpus: seed {source['seed']}, {source['series']} series x {source['weeks']} weeks "
            f"of 5-minute buckets"
        )
    else:
        title = f"labelled corpus: {source['data']} with {source['labels']}"
    lines = [
        "hikeshi eval detection",
        title,
        f"{report['series']} series, {report['records']} records, {report['windows']} labelled windows",
        "",
        "NAB-style score (best single threshold per profile; 100 = perfect, 0 = never alarm)",
        f"  {'profile':<15}{'threshold':>10}{'score':>8}{'TP':>6}{'FN':>6}{'FP records':>12}",
    ]
    for row in report["nab"]:
        lines.append(
            f"  {row['profile']:<15}{row['threshold']:>10.3f}{row['score']:>8.1f}"
            f"{row['true_positives']:>6}{row['false_negatives']:>6}{row['false_positive_records']:>12}"
        )
    budget = report["budget"]
    for title_line, op in (
        (
            f"At a budget of <= {budget['budget_false_alarms_per_series_week']} false alarm per series-week "
            f"(threshold {budget['threshold']:.3f})",
            budget,
        ),
        ("At the default alarm threshold 0.5", report["default_threshold"]),
    ):
        lines += [
            "",
            title_line,
            f"  events detected            {op['detected']}/{op['events']} (recall {_fmt(op['recall'])})",
            f"  median delay from onset    {_fmt(op['median_delay_min'], ' min')}",
            f"  surges >= {FAST_RATIO:g}x in 30 min     {op['fast_detected']}/{op['fast_events']} detected, "
            f"median delay {_fmt(op['fast_median_delay_min'], ' min')}",
            f"  alarm episodes per event   {_fmt(op['alarm_episodes_per_event'])}",
            f"  false alarms               {op['false_alarms']} in {op['series_weeks']} series-weeks = "
            f"{_fmt(op['false_alarms_per_series_week'])} per series-week "
            f"({op['false_alarms_near_launch']} within 6 h after a launch, "
            f"{op['false_alarms_in_declared_benign']} in declared benign windows)",
        ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hikeshi eval detection",
        description="Evaluate the burst detector (NAB-style score, delay, false alarms).",
        epilog="Exit codes: 0 ok, 1 unreadable or malformed corpus, 2 usage error.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--seed", type=int, default=7, help="synthetic corpus seed (default 7)")
    parser.add_argument("--series", type=int, default=60, help="synthetic series (default 60)")
    parser.add_argument("--weeks", type=int, default=3, help="weeks per synthetic series (default 3)")
    parser.add_argument("--data", help="directory of timestamp,value CSV files (with --labels)")
    parser.add_argument("--labels", help="NAB-format label JSON: {file: [[start, end], ...]}")
    parser.add_argument(
        "--budget", type=float, default=1.0, help="false alarms per series-week allowed (default 1)"
    )
    parser.add_argument(
        "--refractory",
        type=int,
        default=24,
        help="buckets without alarm before a new alarm episode starts (default 24)",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if (args.data is None) != (args.labels is None):
        print("hikeshi eval detection: --data and --labels go together", file=sys.stderr)
        return EXIT_USAGE
    if args.series < 1 or args.weeks < 2 or args.refractory < 1 or not math.isfinite(args.budget):
        print(
            "hikeshi eval detection: --series >= 1, --weeks >= 2, --refractory >= 1 required", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        report = evaluate(args)
    except ValueError as exc:
        print(f"hikeshi eval detection: {exc}", file=sys.stderr)
        return EXIT_DATA
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(render_table(report))
    return EXIT_OK
