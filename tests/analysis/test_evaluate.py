"""`hikeshi eval`: metrics, case loading and scoring, dataset splits, and the command itself."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

import pytest

from hikeshi.analysis import evaluate
from hikeshi.analysis.training import data
from hikeshi.analysis.training.metrics import binary_scores, expected_calibration_error, reliability_table

shared_present = (data.shared_data_dir() / data.RTP_LX_FILE).is_file()
needs_shared = pytest.mark.skipif(
    not shared_present, reason="shared datasets absent (set HIKESHI_SHARED_DATA_DIR)"
)


def test_binary_scores_on_a_known_example() -> None:
    scores = binary_scores([0.9, 0.6, 0.4, 0.2, 0.7], [1, 0, 1, 0, 1])
    # predicted positive: 0.9 (tp), 0.6 (fp), 0.7 (tp); missed: 0.4
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 / 3)
    assert scores.accuracy == pytest.approx(3 / 5)
    assert binary_scores([0.1, 0.2], [0, 0]).f1 == 0.0


def test_metrics_reject_mismatched_or_non_binary_input() -> None:
    with pytest.raises(ValueError, match="equal length"):
        binary_scores([0.1, 0.2], [1])
    with pytest.raises(ValueError, match="0 or 1"):
        expected_calibration_error([0.1], [2])


def test_expected_calibration_error_and_reliability_bins() -> None:
    probs = [0.05, 0.05, 0.95, 0.95, 1.0]
    labels = [0, 0, 1, 0, 1]
    table = reliability_table(probs, labels, n_bins=10)
    assert [b.count for b in table] == [2, 0, 0, 0, 0, 0, 0, 0, 0, 3]
    assert table[9].observed_rate == pytest.approx(2 / 3)
    # bin 0: |0.05 - 0| * 2; bin 9: |0.9667 - 0.6667| * 3
    assert expected_calibration_error(probs, labels) == pytest.approx((0.1 + 0.9) / 5, abs=1e-9)
    assert expected_calibration_error([0.3, 0.7], [0, 1], n_bins=1) == pytest.approx(0.0)


def _write_cases(
    directory: pathlib.Path, rows: list[dict[str, object]], name: str = "illegal_act.jsonl"
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )


def test_load_cases_reports_file_and_line(tmp_path: pathlib.Path) -> None:
    _write_cases(tmp_path, [{"id": "a", "text": "t", "category": "illegal_act", "risky": "yes", "note": ""}])
    with pytest.raises(ValueError, match=r"illegal_act\.jsonl:1: need string id"):
        evaluate.load_cases(tmp_path)
    _write_cases(
        tmp_path,
        [
            {"id": "a", "text": "t", "category": "illegal_act", "risky": True, "note": ""},
            {"id": "a", "text": "u", "category": "illegal_act", "risky": False, "note": ""},
        ],
    )
    with pytest.raises(ValueError, match=r":2: duplicate id 'a'"):
        evaluate.load_cases(tmp_path)


def test_load_cases_ignores_the_dev_folder(tmp_path: pathlib.Path) -> None:
    _write_cases(tmp_path, [{"id": "a", "text": "t", "category": "illegal_act", "risky": True, "note": ""}])
    _write_cases(
        tmp_path / "dev", [{"id": "d", "text": "t", "category": "illegal_act", "risky": True, "note": ""}]
    )
    assert [c.id for c in evaluate.load_cases(tmp_path)] == ["a"]


@dataclass
class _Category:
    code: str


@dataclass
class _Verdict:
    """The two Judgement fields score_cases reads."""

    level: str
    categories: list[_Category]


def test_score_cases_counts_detection_precision_and_false_alarms() -> None:
    cases = [
        evaluate.EvalCase("r1", "", "illegal_act", True),
        evaluate.EvalCase("r2", "", "illegal_act", True),
        evaluate.EvalCase("r3", "", "discrimination", True),
        evaluate.EvalCase("b1", "", "illegal_act", False),
        evaluate.EvalCase("b2", "", None, False),
    ]
    verdicts = [
        _Verdict("high", [_Category("illegal_act")]),  # detected
        _Verdict("low", [_Category("illegal_act")]),  # right category, level too low: missed
        _Verdict("medium", [_Category("illegal_act"), _Category("discrimination")]),  # detected
        _Verdict("medium", [_Category("illegal_act")]),  # benign flagged: false positive for illegal_act
        _Verdict("none", []),
    ]
    result = evaluate.score_cases(cases, verdicts)
    illegal = result["categories"]["illegal_act"]
    assert (illegal["precision"], illegal["recall"], illegal["false_positives"]) == (0.5, 0.5, 1)
    assert result["categories"]["discrimination"]["recall"] == 1.0
    assert result["risky_recall"] == pytest.approx(0.6667)
    assert result["benign_flagged_share"] == 0.5
    assert result["missed_ids"] == ["r2"] and result["false_alarm_ids"] == ["b1"]


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate.main(["--section", "nonsense"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_missing_shared_data_skips_in_one_line(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = evaluate.main(["--section", "toxicity", "--section", "wrongdoing", "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 1
    assert len(out) == 2 and all("skipped: dataset file missing" in line for line in out)


def test_missing_models_skip_the_model_sections(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not shared_present:
        pytest.skip("shared datasets absent")
    code = evaluate.main(["--section", "toxicity", "--model-dir", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["skipped"]["toxicity"].startswith("models unavailable: model info missing")


def test_cases_section_judges_with_the_given_model_dir(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A candidate model directory is what `--model-dir` measures; an empty one means rules only, said so."""
    cases = tmp_path / "cases"
    cases.mkdir()
    row = {
        "id": "illegal_act-r-001",
        "text": "飲んだ後そのまま運転して帰った",
        "category": "illegal_act",
        "risky": True,
        "note": "飲酒運転",
    }
    (cases / "illegal_act.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    empty_models = tmp_path / "models"
    empty_models.mkdir()
    code = evaluate.main(
        ["--section", "cases", "--cases", str(cases), "--model-dir", str(empty_models), "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["cases"]["models_loaded"] is False
    assert report["cases"]["model_status"].startswith("missing")
    assert report["cases"]["risky_recall"] == 1.0


@needs_shared
def test_rtp_lx_halves_are_disjoint_and_fixed() -> None:
    train, dev = data.load_rtp_lx("train"), data.load_rtp_lx("dev")
    assert (len(train), len(dev)) == (262, 263)
    assert not set(train.texts) & set(dev.texts)
    assert sorted(data.load_rtp_lx("all").texts) == sorted(train.texts + dev.texts)


@needs_shared
def test_model_sections_report_held_out_figures(capsys: pytest.CaptureFixture[str]) -> None:
    if not (evaluate.EVALCASES_DIR.parent / "modeldata" / "model_info.json").is_file():
        pytest.skip("shipped models not built")
    assert evaluate.main(["--section", "toxicity", "--section", "wrongdoing", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["toxicity"]["n"] == 525 and report["wrongdoing"]["n"] == 1996
    assert report["wrongdoing"]["accuracy"] > 0.6  # far above the 0.5 of a coin
    assert "cross-validation" in report["toxicity"]["dataset"]
    # every repeat of the cross-validation scores every row once
    repeats = len(report["toxicity"]["per_repeat"])
    assert repeats >= 2 and sum(b["count"] for b in report["toxicity"]["reliability"]) == 525 * repeats


def test_cases_section_runs_the_real_analyzer(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {
            "id": "r",
            "text": "飲んだ後そのまま車を運転して帰った、余裕だった",
            "category": "illegal_act",
            "risky": True,
            "note": "",
        },
        {
            "id": "b",
            "text": "今日は家族で公園に行ってお弁当を食べました",
            "category": None,
            "risky": False,
            "note": "",
        },
    ]
    _write_cases(tmp_path, rows)
    assert evaluate.main(["--section", "cases", "--cases", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "illegal_act" in out and "risky recall" in out
