"""Reading `timestamp,value` CSV files with errors that name the line.

Errors (SeriesFormatError, exit code 1 in the CLI): a header other than `timestamp,value`, a row without
exactly two fields, an unparseable timestamp, a value that is empty, not a number, infinite/NaN or negative
(unless negatives are allowed), a timestamp that is not after the previous one (out of order or duplicate),
mixing timestamps with and without a timezone, an interval shorter than half the bucket.
Handled: blank lines are skipped; an interval of several buckets is missing data (the detector learns
nothing for the missing buckets and forgets accumulated evidence after a long gap); an interval that is not a
whole number of buckets is accepted (the detector works on timestamps) and counted in `irregular_intervals`
so the CLI can warn.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

HEADER = ("timestamp", "value")
IRREGULAR_TOLERANCE = 0.02  # fraction of a bucket


class SeriesFormatError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(slots=True)
class SeriesFile:
    raw_timestamps: list[str]
    timestamps: list[datetime]
    values: list[float]
    lines: list[int]
    bucket: timedelta | None = None
    irregular_intervals: int = 0


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 with a space or `T`, optional fraction and timezone (`Z` or ±hh:mm)."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("empty timestamp")
    return datetime.fromisoformat(stripped)


def _seconds(moment: datetime) -> float:
    if moment.utcoffset() is not None:
        return moment.timestamp()
    return (moment - datetime(1970, 1, 1)).total_seconds()


def read_series(lines: Iterable[str], *, allow_negative: bool = False) -> SeriesFile:
    reader = csv.reader(lines)
    header_seen = False
    series = SeriesFile([], [], [], [])
    aware: bool | None = None
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if not header_seen:
            cells = tuple(cell.strip().lstrip("\ufeff").lower() for cell in row)
            if cells != HEADER:
                shown = ",".join(row)
                raise SeriesFormatError(line, f"the header must be 'timestamp,value', got {shown[:80]!r}")
            header_seen = True
            continue
        if len(row) != 2:
            raise SeriesFormatError(line, f"expected 2 fields (timestamp,value), got {len(row)}")
        raw_ts, raw_value = row
        try:
            moment = parse_timestamp(raw_ts)
        except ValueError:
            raise SeriesFormatError(line, f"not an ISO 8601 timestamp: {raw_ts.strip()[:40]!r}") from None
        this_aware = moment.utcoffset() is not None
        if aware is None:
            aware = this_aware
        elif aware != this_aware:
            raise SeriesFormatError(line, "timestamps mix with and without a timezone")
        value_text = raw_value.strip()
        if not value_text:
            raise SeriesFormatError(line, "empty value")
        try:
            value = float(value_text)
        except ValueError:
            raise SeriesFormatError(line, f"value is not a number: {value_text[:40]!r}") from None
        if not math.isfinite(value):
            raise SeriesFormatError(line, f"value is not finite: {value_text[:40]!r}")
        if value < 0 and not allow_negative:
            raise SeriesFormatError(line, f"negative value {value_text[:40]} (counts cannot be negative)")
        if series.timestamps:
            previous = series.timestamps[-1]
            if _seconds(moment) == _seconds(previous):
                raise SeriesFormatError(line, f"duplicate timestamp {raw_ts.strip()}")
            if _seconds(moment) < _seconds(previous):
                raise SeriesFormatError(line, f"timestamp {raw_ts.strip()} is before the previous row")
        series.raw_timestamps.append(raw_ts)
        series.timestamps.append(moment)
        series.values.append(value)
        series.lines.append(line)
    if not header_seen:
        raise SeriesFormatError(1, "empty input: expected the header 'timestamp,value'")
    return series


def check_intervals(series: SeriesFile, bucket: timedelta) -> None:
    """Reject intervals shorter than half a bucket; count those that are not whole buckets."""
    if len(series.timestamps) < 2:
        series.bucket = bucket
        return
    seconds = np.array([_seconds(t) for t in series.timestamps])
    in_buckets = np.diff(seconds) / bucket.total_seconds()
    short = np.nonzero(in_buckets < 0.5)[0]
    if short.size:
        index = int(short[0]) + 1
        raise SeriesFormatError(
            series.lines[index],
            f"timestamp {series.raw_timestamps[index].strip()} is only "
            f"{in_buckets[index - 1] * bucket.total_seconds():.0f}s after the previous row "
            f"(bucket {bucket.total_seconds():.0f}s)",
        )
    off_grid = np.abs(in_buckets - np.round(in_buckets)) > IRREGULAR_TOLERANCE
    series.irregular_intervals = int(np.count_nonzero(off_grid))
    series.bucket = bucket


def read_text(text: str, *, allow_negative: bool = False) -> SeriesFile:
    return read_series(io.StringIO(text), allow_negative=allow_negative)
