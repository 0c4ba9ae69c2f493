"""`hikeshi analyze` and `hikeshi check`, run in-process through their entry points."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from hikeshi.analysis.cli import main_analyze, main_check


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def _run_analyze(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes, *argv: str
) -> tuple[int, list[dict[str, object]], list[str]]:
    monkeypatch.setattr(sys, "stdin", _Stdin(data))
    code = main_analyze(list(argv))
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    errors = [line for line in captured.err.splitlines() if line.startswith("hikeshi analyze:")]
    return code, out, errors


def test_analyze_good_lines_in_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"id": "a", "text": "飲んだ後そのまま運転して帰った"},
        {"id": 7, "text": "今日はいい天気"},
        {"text": "弁当にビニール片が入ってた"},
    ]
    data = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode()
    code, out, errors = _run_analyze(monkeypatch, capsys, data, "--batch-size", "2")
    assert code == 0 and errors == []
    assert [o["id"] for o in out] == ["a", "7", None]
    assert out[0]["level"] in ("high", "critical")
    assert out[1]["level"] == "none"
    assert set(out[0]) == {
        "id", "risk", "level", "categories", "sentiment", "toxicity", "wrongdoing", "pii", "explanation",
    }  # fmt: skip


def test_analyze_bad_lines_are_reported_and_the_rest_carry_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (
        b'{"id": 1, "text": "\xe3\x81\x82"}\n'  # valid: 「あ」
        b"not json\n"
        b'{"id": 2, "text": "\xff\xfe"}\n'  # invalid UTF-8
        b'{"id": 3}\n'
        b"\n"
        b"[1, 2]\n"
        b'{"id": 4, "text": 5}\n'
        b'{"id": 5, "text": "\xe5\xa3\xb2\xe3\x82\x8a\xe7\x89\xa9"}\n'
    )
    code, out, errors = _run_analyze(monkeypatch, capsys, data)
    assert code == 1
    assert [o["id"] for o in out] == ["1", "5"]
    assert [e.split(":")[1].strip() for e in errors] == ["line 2", "line 3", "line 4", "line 6", "line 7"]
    assert "invalid JSON" in errors[0]
    assert "invalid UTF-8" in errors[1]
    assert 'no "text"' in errors[2]


def test_analyze_reads_a_file_and_reports_a_missing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text('{"id": "x", "text": "あの客ほんと消えてほしい"}\n', encoding="utf-8")
    assert main_analyze([str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["categories"][0]["code"] == "harassment_abuse"
    assert main_analyze([str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("hikeshi analyze: cannot read")
    assert "Traceback" not in "".join(err)


def test_analyze_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main_analyze(["--batch-size", "many"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_check_human_output_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check(["さっきの会計、俳優の○○さんだった"]) == 1
    out = capsys.readouterr().out
    assert "判定:" in out and "顧客・個人情報の漏洩" in out
    assert "【会計】" in out and "【俳優】" in out
    assert "説明:" in out
    assert main_check(["今日はいい天気"]) == 0
    assert "判定: なし" in capsys.readouterr().out


def test_check_json_and_custom_terms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check(["--json", "--confidential", "プロジェクトX", "プロジェクトXの価格決まった"]) == 1
    judgement = json.loads(capsys.readouterr().out)
    assert judgement["categories"][0]["code"] == "confidential_leak"


def test_check_empty_text_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check(["   "]) == 2
    assert "empty" in capsys.readouterr().err
