"""`hikeshi bench alert-latency` end to end: real `hikeshi web` and `hikeshi worker` processes, a push,
and the messages at the local webhook receiver and SMTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_alert_latency_bench_runs_one_trial() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIKESHI_")}
    result = subprocess.run(
        # A generous wait: on a loaded 2-core machine the warm-up (first request, model loading) is slow.
        [sys.executable, "-m", "hikeshi.alerts.bench", "--trials", "1", "--timeout", "150", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert result.returncode in (0, 1) and result.stdout.strip(), result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["trials"] == 1 and figures["missing"] == 0
    assert 0 < figures["webhook"]["p99_s"] < 150 and 0 < figures["email"]["p99_s"] < 150
