"""The synthetic generator and `hikeshi eval detection` on synthetic and NAB-format labelled data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from hikeshi.detection.evaluate import EXIT_DATA, EXIT_OK, EXIT_USAGE, main
from hikeshi.detection.synthetic import generate_corpus


def test_generator_is_deterministic_and_covers_the_shapes() -> None:
    first = generate_corpus(seed=3, n_series=30, weeks=2)
    again = generate_corpus(seed=3, n_series=30, weeks=2)
    assert [s.values for s in first] == [s.values for s in again]
    assert generate_corpus(seed=4, n_series=1, weeks=2)[0].values != first[0].values
    assert {s.profile for s in first} == {"busy", "medium", "sparse"}
    kinds = {e.kind for s in first for e in s.events}
    assert kinds == {"fast", "slow"}
    assert any(s.benign for s in first)
    assert any(s.launches for s in first)
    assert any(len(s.timestamps) < 2 * 7 * 288 for s in first), "some series have missing data"
    for series in first:
        assert len(series.timestamps) == len(series.values)
        assert all(v >= 0 and v == int(v) for v in series.values)
        for event in series.events:
            assert event.onset < event.end
            if event.fast:
                assert event.kind == "fast" and event.peak_ratio >= 5.0


def test_eval_synthetic_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--series", "6", "--weeks", "2", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["series"] == 6
    assert {row["profile"] for row in report["nab"]} == {"standard", "reward_low_FP", "reward_low_FN"}
    for key in ("median_delay_min", "false_alarms_per_series_week", "alarm_episodes_per_event", "recall"):
        assert key in report["default_threshold"]


def test_eval_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--series", "4", "--weeks", "2"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "NAB-style score" in out and "median delay from onset" in out and "false alarms" in out


def _nab_like(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(5)
    data = tmp_path / "data" / "realSomething"
    data.mkdir(parents=True)
    start = datetime(2014, 4, 1)
    values = 40.0 + rng.normal(0, 2.0, 2000)
    values[1500:1530] += 30.0
    lines = ["timestamp,value"]
    for i, v in enumerate(values):
        lines.append(f"{(start + timedelta(minutes=5 * i)).strftime('%Y-%m-%d %H:%M:%S')},{v:.3f}")
    (data / "cpu.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    window = [
        (start + timedelta(minutes=5 * 1450)).strftime("%Y-%m-%d %H:%M:%S.%f"),
        (start + timedelta(minutes=5 * 1560)).strftime("%Y-%m-%d %H:%M:%S.%f"),
    ]
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"realSomething/cpu.csv": [window]}), encoding="utf-8")
    return tmp_path / "data", labels


def test_eval_on_nab_format_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, labels = _nab_like(tmp_path)
    assert main(["--data", str(data), "--labels", str(labels), "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["windows"] == 1
    standard = next(row for row in report["nab"] if row["profile"] == "standard")
    assert standard["true_positives"] == 1
    assert standard["score"] > 50
    assert report["default_threshold"]["detected"] == 1


def test_eval_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(tmp_path)]) == EXIT_USAGE
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"missing.csv": []}), encoding="utf-8")
    assert main(["--data", str(tmp_path), "--labels", str(labels)]) == EXIT_DATA
    assert "missing.csv" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text(
        "timestamp,value\n2020-01-01 00:00,1\n2020-01-01 00:05,x\n", encoding="utf-8"
    )
    labels.write_text(json.dumps({"bad.csv": []}), encoding="utf-8")
    assert main(["--data", str(tmp_path), "--labels", str(labels)]) == EXIT_DATA
    assert "line 3" in capsys.readouterr().err
    labels.write_text("{not json", encoding="utf-8")
    assert main(["--data", str(tmp_path), "--labels", str(labels)]) == EXIT_DATA
