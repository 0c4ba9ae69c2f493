"""`hikeshi bench pipeline` itself: a tiny run with two forked workers on SQLite, profiled per worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_two_workers_write_one_profile_each_and_pass_the_count_checks(tmp_path: Path) -> None:
    profile = tmp_path / "bench.prof"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIKESHI_")}
    args = ["--posts", "60", "--orgs", "2", "--batch", "20", "--workers", "2", "--profile", str(profile)]
    run = subprocess.run(
        [sys.executable, "-m", "hikeshi.monitoring.bench", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "checked: every topic's post count" in run.stdout
    assert (tmp_path / "bench.prof.0").stat().st_size > 0 and (tmp_path / "bench.prof.1").stat().st_size > 0
