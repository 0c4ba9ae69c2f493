"""``python -m hikeshi.analysis.training``: train both heads, print metrics, write ``modeldata/``.

Deterministic: fixed folds and seeds, solvers without randomness; the same data gives the same files
(apart from the date, which ``SOURCE_DATE_EPOCH`` pins).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

from hikeshi.analysis.models import DEFAULT_MODEL_DIR
from hikeshi.analysis.training.data import DataUnavailable
from hikeshi.analysis.training.pipeline import train_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hikeshi.analysis.training", description="Train the analysis engine's models."
    )
    parser.add_argument(
        "--output", type=pathlib.Path, default=DEFAULT_MODEL_DIR, help="directory for the model files"
    )
    parser.add_argument(
        "--data-dir",
        type=pathlib.Path,
        default=None,
        help="shared data directory (default: $HIKESHI_SHARED_DATA_DIR)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        train_all(args.output, args.data_dir, log=print)
    except DataUnavailable as exc:
        print(f"training: {exc}", file=sys.stderr)
        return 1
    print(f"done in {time.monotonic() - started:.0f}s; model files in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
