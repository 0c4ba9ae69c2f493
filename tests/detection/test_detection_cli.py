"""`hikeshi detect`: CSV parsing, errors with line numbers, exit codes, output shape."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

from hikeshi.detection.cli import EXIT_DATA, EXIT_OK, EXIT_USAGE, main_detect


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "series.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _regular(n: int, value: str = "3") -> str:
    rows = [f"2026-01-01T{(i * 5) // 60:02d}:{(i * 5) % 60:02d}:00,{value}" for i in range(n)]
    return "timestamp,value\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("time,count\n2026-01-01 00:00,1\n", 1, "header"),
        ("timestamp,value,extra\n2026-01-01 00:00,1,2\n", 1, "header"),
        ("timestamp,value\n2026-01-01 00:00,1\nyesterday,2\n", 3, "ISO 8601"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05,many\n", 3, "not a number"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05,-4\n", 3, "negative"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05,nan\n", 3, "not finite"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05,\n", 3, "empty value"),
        ("timestamp,value\n2026-01-01 00:05,1\n2026-01-01 00:00,2\n", 3, "before the previous"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:00,2\n", 3, "duplicate"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05+09:00,2\n", 3, "timezone"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05,1,9\n", 3, "2 fields"),
        ("", 1, "empty input"),
    ],
)
def test_malformed_csv_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, fragment: str
) -> None:
    code = main_detect([_write(tmp_path, text)])
    err = capsys.readouterr().err
    assert code == EXIT_DATA
    assert f"line {line}:" in err
    assert fragment in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_interval_shorter_than_half_a_bucket_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "timestamp,value\n" + "".join(f"2026-01-01 00:{m:02d},1\n" for m in (0, 5, 10, 15, 16, 20))
    assert main_detect([_write(tmp_path, text)]) == EXIT_DATA
    assert "line 6:" in capsys.readouterr().err


def test_invalid_utf8_is_a_data_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"timestamp,value\n2026-01-01 00:00,1\n\xff\xfe,2\n")
    assert main_detect([str(path)]) == EXIT_DATA
    assert "line 3:" in capsys.readouterr().err


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_detect([]) == EXIT_USAGE
    assert main_detect([str(tmp_path / "missing.csv")]) == EXIT_USAGE
    assert "cannot read" in capsys.readouterr().err
    assert main_detect([_write(tmp_path, _regular(3)), "--bucket", "soon"]) == EXIT_USAGE


def test_output_echoes_timestamps_one_row_per_input_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "timestamp,value\n2026-01-01 00:00+09:00,1\n2026-01-01T00:05:00+09:00,2\n2026-01-01 00:15+09:00,0\n"
    )
    assert main_detect([_write(tmp_path, text)]) == EXIT_OK
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["timestamp", "score"]
    assert [r[0] for r in rows[1:]] == [
        "2026-01-01 00:00+09:00",
        "2026-01-01T00:05:00+09:00",
        "2026-01-01 00:15+09:00",
    ]
    assert all(0.0 <= float(r[1]) <= 1.0 for r in rows[1:])


def test_explain_adds_level_and_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = _regular(200, "4").splitlines()
    body[150] = body[150].rsplit(",", 1)[0] + ",80"
    assert main_detect([_write(tmp_path, "\n".join(body) + "\n"), "--explain"]) == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["timestamp", "score", "level", "reason"]
    assert len(rows) == 200
    spike = rows[149]
    assert float(spike["score"]) >= 0.5
    assert int(spike["level"]) >= 1
    assert "倍" in spike["reason"]
    assert int(rows[100]["level"]) == 0


def test_stdin_and_missing_buckets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "timestamp,value\n" + "".join(f"2026-01-01 {h:02d}:00,5\n" for h in (0, 1, 2, 6, 7))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main_detect(["-"]) == EXIT_OK
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 6
    assert captured.err == ""


def test_irregular_intervals_are_accepted_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "timestamp,value\n" + "".join(f"2026-01-01 00:{m:02d},1\n" for m in (0, 5, 10, 15, 22, 25, 30))
    assert main_detect([_write(tmp_path, text)]) == EXIT_OK
    captured = capsys.readouterr()
    assert "warning: 2 interval" in captured.err  # 15->22 and 22->25
    assert len(captured.out.strip().splitlines()) == 8


def test_benign_option_suppresses_a_declared_spike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = _regular(200, "4").splitlines()
    for i in range(151, 155):
        body[i] = body[i].rsplit(",", 1)[0] + ",40"
    path = _write(tmp_path, "\n".join(body) + "\n")
    assert main_detect([path]) == EXIT_OK
    plain = [float(r["score"]) for r in csv.DictReader(io.StringIO(capsys.readouterr().out))]
    window = "2026-01-01T12:30,2026-01-01T12:50,10,CM"
    assert main_detect([path, "--benign", window]) == EXIT_OK
    declared = [float(r["score"]) for r in csv.DictReader(io.StringIO(capsys.readouterr().out))]
    assert max(plain[150:154]) >= 0.5
    assert max(declared[150:154]) < 0.5
