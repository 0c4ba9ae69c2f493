"""`hikeshi detect PATH`: score a `timestamp,value` CSV causally and print `timestamp,score[,level,reason]`.

Exit codes: 0 success; 1 data error (malformed CSV: the message names the line); 2 usage error (bad option,
unreadable PATH).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from datetime import timedelta
from typing import TextIO

from hikeshi.detection.batch import infer_bucket
from hikeshi.detection.csvio import SeriesFile, SeriesFormatError, check_intervals, parse_timestamp, read_text
from hikeshi.detection.detector import BurstDetector
from hikeshi.detection.risk import ContentSignals, assess
from hikeshi.detection.types import BenignWindow, DetectorConfig

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
DEFAULT_BUCKET = timedelta(minutes=5)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class UsageError(Exception):
    pass


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration (e.g. 300s, 5m, 1h, 1d): {text!r}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"duration must be positive: {text!r}")
    return timedelta(seconds=seconds)


def parse_benign(text: str) -> BenignWindow:
    """START,END[,MULTIPLIER[,LABEL]] with ISO 8601 times."""
    parts = [p.strip() for p in text.split(",", 3)]
    if len(parts) < 2:
        raise argparse.ArgumentTypeError(f"expected START,END[,MULTIPLIER[,LABEL]], got {text!r}")
    try:
        start, end = parse_timestamp(parts[0]), parse_timestamp(parts[1])
        multiplier = float(parts[2]) if len(parts) > 2 and parts[2] else 3.0
        return BenignWindow(start, end, multiplier, parts[3] if len(parts) > 3 else "")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad benign window {text!r}: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hikeshi detect",
        description="Score a timestamp,value CSV (one row per regular bucket, oldest first) for bursts, causally.",
        epilog="Exit codes: 0 ok, 1 malformed data (the message names the line), 2 usage error.",
    )
    parser.add_argument("path", metavar="PATH", help="CSV file with header timestamp,value; '-' reads stdin")
    parser.add_argument(
        "--explain", action="store_true", help="add columns level (0-4) and reason (Japanese)"
    )
    parser.add_argument(
        "--bucket", type=parse_duration, help="bucket size (default: inferred from timestamps)"
    )
    parser.add_argument(
        "--benign",
        type=parse_benign,
        action="append",
        default=[],
        metavar="START,END[,MULT[,LABEL]]",
        help="a declared benign burst (repeatable): expected level x MULT inside [START, END)",
    )
    parser.add_argument("--mode", choices=("auto", "count", "real"), default="auto")
    parser.add_argument("--direction", choices=("auto", "up", "both"), default="auto")
    parser.add_argument("--allow-negative", action="store_true", help="accept negative values (not counts)")
    return parser


def _read_input(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SeriesFormatError(line, "not valid UTF-8") from None


def _write(out: TextIO, series: SeriesFile, detector: BurstDetector, explain: bool) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["timestamp", "score", "level", "reason"] if explain else ["timestamp", "score"])
    empty = ContentSignals()
    for raw, moment, value, line in zip(
        series.raw_timestamps, series.timestamps, series.values, series.lines, strict=True
    ):
        try:
            burst = detector.update(moment, value)
        except ValueError as exc:
            raise SeriesFormatError(line, str(exc)) from None
        if explain:
            level = assess(burst, empty).level
            writer.writerow([raw, f"{burst.score:.4f}", int(level), burst.reason])
        else:
            writer.writerow([raw, f"{burst.score:.4f}"])


def main_detect(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        text = _read_input(args.path)
        series = read_text(text, allow_negative=args.allow_negative)
        bucket = args.bucket
        if bucket is None:
            bucket = infer_bucket(series.timestamps) if len(series.timestamps) > 1 else DEFAULT_BUCKET
        check_intervals(series, bucket)
        if series.irregular_intervals:
            print(
                f"hikeshi detect: warning: {series.irregular_intervals} interval(s) are not a whole number of "
                f"{bucket.total_seconds():.0f}s buckets",
                file=sys.stderr,
            )
        config = DetectorConfig(mode=args.mode, direction=args.direction)
        detector = BurstDetector(bucket, config, args.benign)
        _write(sys.stdout, series, detector, args.explain)
        sys.stdout.flush()
    except UsageError as exc:
        print(f"hikeshi detect: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SeriesFormatError as exc:
        print(f"hikeshi detect: {args.path}: {exc}", file=sys.stderr)
        return EXIT_DATA
    return EXIT_OK
