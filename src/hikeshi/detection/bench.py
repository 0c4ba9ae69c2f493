"""`hikeshi bench detection`: updates per second of the online detector across many series.

The loop is the monitoring worker's: every bucket, each watch rule's detector gets one value. An untimed warm-up
of just over a day is fed first (so the daily profile is active, as in production), then the timed buckets.
`--with-state` also round-trips every detector through JSON each bucket, as a worker that keeps detector
state in the database would.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta

import numpy as np

from hikeshi.detection.detector import BurstDetector

BUCKET = timedelta(minutes=5)
START = datetime(2026, 3, 2)


def run(series: int, buckets: int, warmup: int, with_state: bool, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    rates = rng.choice([0.02, 0.5, 5.0, 40.0], size=series)
    values = rng.poisson(rates[:, None], size=(series, warmup + buckets)).astype(float).tolist()
    detectors = [BurstDetector(BUCKET) for _ in range(series)]
    for step in range(warmup):
        moment = START + BUCKET * step
        for index, detector in enumerate(detectors):
            detector.update(moment, values[index][step])
    alarms = 0
    began = time.perf_counter()
    for step in range(warmup, warmup + buckets):
        moment = START + BUCKET * step
        for index in range(series):
            detector = detectors[index]
            if with_state:
                detector = BurstDetector.from_state(json.loads(json.dumps(detector.state())))
                detectors[index] = detector
            alarms += detector.update(moment, values[index][step]).is_alarm
    elapsed = time.perf_counter() - began
    updates = series * buckets
    return {
        "series": series,
        "timed_buckets": buckets,
        "updates": updates,
        "seconds": round(elapsed, 3),
        "updates_per_second": round(updates / elapsed),
        "alarms": alarms,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hikeshi bench detection", description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=2000, help="number of series (default 2000)")
    parser.add_argument("--buckets", type=int, default=144, help="timed buckets per series (default 144)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=300,
        help="untimed buckets first (default 300: the daily profile is active)",
    )
    parser.add_argument("--with-state", action="store_true", help="JSON state round-trip every update")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 2
    if args.series < 1 or args.buckets < 1 or args.warmup < 0:
        print("hikeshi bench detection: --series and --buckets must be >= 1", file=sys.stderr)
        return 2
    result = run(args.series, args.buckets, args.warmup, args.with_state, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        mode = " with a JSON state round-trip per update" if args.with_state else ""
        print(
            f"{result['updates']} updates over {result['series']} series{mode}: {result['seconds']} s, "
            f"{result['updates_per_second']:,} updates/s"
        )
    return 0
