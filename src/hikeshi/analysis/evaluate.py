"""``hikeshi eval`` (= ``hikeshi eval analysis``): measure the analysis engine and its models.

Sections:
- ``cases``: the team's labelled cases (``evalcases/*.jsonl``) through the full analyzer, per category.
- ``toxicity``: the ``toxicity`` model on the RTP-LX dev half (rows ``id % 4 == 2``, never trained on).
- ``wrongdoing``: the ``wrongdoing`` model on JCommonsenseMorality ``data_val.csv`` (never trained on).
- ``category``: the category head ALONE on the same cases, each category at its shipped threshold (what the
  model adds to the rules; the ``cases`` section measures the combination).

Exit status: 0 when every requested section ran, 1 when one was skipped (data or models absent; the
reason is printed in one line), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from hikeshi.analysis.robustness import evaluate_robustness
from hikeshi.analysis.robustness import render as render_robustness
from hikeshi.analysis.training.data import DataUnavailable, load_jcm, load_rtp_lx
from hikeshi.analysis.training.metrics import binary_scores, expected_calibration_error, reliability_table

EVALCASES_DIR = pathlib.Path(__file__).resolve().parent / "evalcases"
SECTIONS = ("cases", "toxicity", "wrongdoing", "category", "robustness")
FLAGGED_LEVELS = frozenset({"medium", "high", "critical"})
TARGETS = {
    "risky_recall": 0.95,
    "benign_flagged_share": 0.05,
    "toxicity_f1": 0.80,
    "wrongdoing_accuracy": 0.80,
}
BATCH = 512
EXIT_OK, EXIT_SKIPPED, EXIT_USAGE = 0, 1, 2


class SectionSkipped(Exception):
    """A section cannot run here; the message says why in one line."""


@dataclass(frozen=True)
class EvalCase:
    id: str
    text: str
    category: str | None
    risky: bool


def load_cases(directory: pathlib.Path, *, skip_suffixes: Sequence[str] = ()) -> list[EvalCase]:
    """Every ``*.jsonl`` directly in ``directory`` (not sub-folders such as ``dev/``), validated.

    ``skip_suffixes``: files whose name (without ``.jsonl``) ends with one of these are left out."""
    files = [
        path
        for path in sorted(directory.glob("*.jsonl"))
        if not any(path.stem.endswith(suffix) for suffix in skip_suffixes)
    ]
    if not files:
        raise SectionSkipped(f"no evaluation cases (*.jsonl) in {directory}")
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for path in files:
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON: {exc}") from exc
            if not isinstance(row, dict):
                raise ValueError(f"{where}: expected a JSON object")
            case_id, text, category, risky = (
                row.get("id"),
                row.get("text"),
                row.get("category"),
                row.get("risky"),
            )
            if not isinstance(case_id, str) or not isinstance(text, str) or not isinstance(risky, bool):
                raise ValueError(f"{where}: need string id and text and boolean risky")
            if category is not None and not isinstance(category, str):
                raise ValueError(f"{where}: category must be a string or null")
            if risky and category is None:
                raise ValueError(f"{where}: a risky case needs a category")
            if case_id in seen:
                raise ValueError(f"{where}: duplicate id {case_id!r}")
            seen.add(case_id)
            cases.append(EvalCase(case_id, text, category, risky))
    return cases


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def score_cases(cases: Sequence[EvalCase], judgements: Sequence[Any]) -> dict[str, Any]:
    """Per-category precision/recall and the overall figures from analyzer judgements.

    A risky case is detected when its category is among the judgement's categories at level medium or
    above. For category C, a false positive is a benign case flagged (medium+) with C among its
    categories; a risky case of another category flagged with C is not counted either way, because a
    post can rightly carry two risks.
    """
    if len(cases) != len(judgements):
        raise ValueError(f"{len(cases)} cases but {len(judgements)} judgements")
    per_category: dict[str, dict[str, int]] = {}
    risky_total = risky_detected = benign_total = benign_flagged = 0
    misses: list[str] = []
    false_alarms: list[str] = []
    for case, judgement in zip(cases, judgements, strict=True):
        flagged = judgement.level in FLAGGED_LEVELS
        codes = {entry.code for entry in judgement.categories} if flagged else set()
        if case.category is not None:
            per_category.setdefault(case.category, {"tp": 0, "fn": 0, "fp": 0, "risky": 0, "benign": 0})
        if case.risky:
            assert case.category is not None
            counts = per_category[case.category]
            counts["risky"] += 1
            risky_total += 1
            if case.category in codes:
                counts["tp"] += 1
                risky_detected += 1
            else:
                counts["fn"] += 1
                misses.append(case.id)
        else:
            benign_total += 1
            if case.category is not None:
                per_category[case.category]["benign"] += 1
            if flagged:
                benign_flagged += 1
                false_alarms.append(case.id)
            for code in codes:
                per_category.setdefault(code, {"tp": 0, "fn": 0, "fp": 0, "risky": 0, "benign": 0})
                per_category[code]["fp"] += 1
    categories = {
        code: {
            "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
            "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
            "risky_cases": c["risky"],
            "benign_cases": c["benign"],
            "false_positives": c["fp"],
        }
        for code, c in sorted(per_category.items())
    }
    return {
        "categories": categories,
        "risky_recall": _ratio(risky_detected, risky_total),
        "benign_flagged_share": _ratio(benign_flagged, benign_total),
        "risky_cases": risky_total,
        "benign_cases": benign_total,
        "missed_ids": misses,
        "false_alarm_ids": false_alarms,
    }


def evaluate_cases(directory: pathlib.Path, model_dir: pathlib.Path | None = None) -> dict[str, Any]:
    """Judge every case with the shipped models, or with those in ``model_dir`` (a retrained candidate)."""
    from hikeshi.analysis import Analyzer, get_analyzer

    cases = load_cases(directory)
    analyzer = get_analyzer() if model_dir is None else Analyzer(model_dir=model_dir)
    judgements: list[Any] = []
    for start in range(0, len(cases), BATCH):
        judgements.extend(analyzer.analyze([c.text for c in cases[start : start + BATCH]]))
    result = score_cases(cases, judgements)
    result["cases_dir"] = str(directory)
    result["models_loaded"] = analyzer.models_loaded
    result["model_status"] = analyzer.status().get("model")
    return result


def _model_report(probabilities: Sequence[float], labels: Sequence[int], dataset: str) -> dict[str, Any]:
    scores = binary_scores(list(probabilities), list(labels))
    return {
        "dataset": dataset,
        **scores.as_dict(),
        "ece": round(expected_calibration_error(list(probabilities), list(labels)), 4),
        "reliability": [b.as_dict() for b in reliability_table(list(probabilities), list(labels))],
    }


def _load_models(model_dir: pathlib.Path | None) -> Any:
    from hikeshi.analysis.models import ModelSet, ModelUnavailable

    try:
        return ModelSet.load(model_dir)
    except ModelUnavailable as exc:
        raise SectionSkipped(f"models unavailable: {exc}") from exc


def evaluate_toxicity(data_dir: pathlib.Path | None, model_dir: pathlib.Path | None) -> dict[str, Any]:
    """The dev-half figure of the shipped toxicity model: its repeated k-fold cross-validation.

    The shipped model trains on every shared RTP-LX row, so scoring it on them would measure nothing; the
    training run cross-validates the whole pipeline over the same rows and stores the result in
    ``model_info.json``, which this section reports (after checking the shared rows are the ones it used).
    """
    try:
        rows = load_rtp_lx("all", data_dir)
    except DataUnavailable as exc:
        raise SectionSkipped(str(exc)) from exc
    info = _load_models(model_dir).info()
    metrics = info.get("metrics")
    toxicity = metrics.get("toxicity") if isinstance(metrics, dict) else None
    cv = toxicity.get("cv_dev_half") if isinstance(toxicity, dict) else None
    if not isinstance(cv, dict):
        raise SectionSkipped("model_info.json has no cross-validated toxicity figure (run `make train`)")
    scores = cv["scores"]
    if (scores["n"], scores["positives"]) != (len(rows), sum(rows.labels)):
        raise SectionSkipped(
            f"the models were cross-validated on {scores['n']} RTP-LX rows, the shared data holds {len(rows)}"
            " (run `make train`)"
        )
    return {
        "dataset": f"RTP-LX ja dev half (all {len(rows)} shared rows), toxic = mean Toxicity >= 3 — "
        f"{cv['protocol']}; computed by the training run of {info.get('trained_date')}",
        **scores,
        "f1_sd_over_repeats": cv["f1_sd_over_repeats"],
        "per_repeat": cv["per_repeat"],
        "ece": cv["ece"],
        "reliability": cv["reliability"],
    }


def evaluate_wrongdoing(data_dir: pathlib.Path | None, model_dir: pathlib.Path | None) -> dict[str, Any]:
    try:
        val = load_jcm("val", data_dir)
    except DataUnavailable as exc:
        raise SectionSkipped(str(exc)) from exc
    probs = _load_models(model_dir).predict(val.texts)["wrongdoing"]
    return _model_report(probs.tolist(), val.labels, "JCommonsenseMorality data_val.csv, 1 = morally wrong")


def evaluate_category_model(directory: pathlib.Path, model_dir: pathlib.Path | None) -> dict[str, Any]:
    """The category head alone: a case counts as flagged with C when C's probability passes its threshold."""
    from hikeshi.analysis.models import CATEGORY_PREFIX

    cases = load_cases(directory)
    model_set = _load_models(model_dir)
    thresholds = model_set.category_thresholds()
    probabilities = model_set.predict([c.text for c in cases])
    judgements = []
    for index in range(len(cases)):
        codes = [
            code
            for code, threshold in thresholds.items()
            if probabilities[CATEGORY_PREFIX + code][index] >= threshold
        ]
        judgements.append(_ModelOnly("medium" if codes else "none", tuple(_Code(code) for code in codes)))
    result = score_cases(cases, judgements)
    result["cases_dir"] = str(directory)
    result["thresholds"] = {code: round(t, 4) for code, t in thresholds.items()}
    return result


@dataclass(frozen=True)
class _Code:
    code: str


@dataclass(frozen=True)
class _ModelOnly:
    """Just enough of a Judgement for ``score_cases``."""

    level: str
    categories: tuple[_Code, ...]


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def render_text(report: dict[str, Any]) -> str:
    lines: list[str] = []
    for name, reason in report["skipped"].items():
        lines.append(f"[{name}] skipped: {reason}")
    for part in ("cases", "category"):
        cases = report.get(part)
        if not cases:
            continue
        if part == "cases":
            lines.append(f"[cases] {cases['cases_dir']} (models: {cases['model_status']})")
        else:
            lines.append(f"[category] the category head alone at its thresholds, {cases['cases_dir']}")
        lines.append(f"  {'category':<26}{'precision':>10}{'recall':>8}{'risky':>7}{'benign':>7}{'FP':>5}")
        for code, c in cases["categories"].items():
            lines.append(
                f"  {code:<26}{_fmt(c['precision']):>10}{_fmt(c['recall']):>8}"
                f"{c['risky_cases']:>7}{c['benign_cases']:>7}{c['false_positives']:>5}"
            )
        lines.append(
            f"  risky recall {_fmt(cases['risky_recall'])} (target >= {TARGETS['risky_recall']}) over "
            f"{cases['risky_cases']} cases; benign flagged {_fmt(cases['benign_flagged_share'])} "
            f"(target <= {TARGETS['benign_flagged_share']}) over {cases['benign_cases']} cases"
        )
    for name, metric, target in (
        ("toxicity", "f1", "toxicity_f1"),
        ("wrongdoing", "accuracy", "wrongdoing_accuracy"),
    ):
        section = report.get(name)
        if not section:
            continue
        lines.append(f"[{name}] {section['dataset']}")
        lines.append(
            f"  {metric} {section[metric]:.3f} (target >= {TARGETS[target]}); precision {section['precision']:.3f}"
            f" recall {section['recall']:.3f} accuracy {section['accuracy']:.3f} n={section['n']}"
            f" positives={section['positives']}; ECE {section['ece']:.3f}"
        )
        lines.append(f"  {'bin':<11}{'count':>6}{'predicted':>11}{'observed':>10}")
        for b in section["reliability"]:
            if b["count"]:
                lines.append(
                    f"  {b['low']:.1f}-{b['high']:.1f}    {b['count']:>6}{b['mean_predicted']:>11.3f}"
                    f"{b['observed_rate']:>10.3f}"
                )
    if report.get("robustness"):
        lines.extend(render_robustness(report["robustness"]))
    return "\n".join(lines)


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; the CLI's convention is one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="hikeshi eval", description="Measure the analysis engine and its models.")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument(
        "--section", action="append", choices=SECTIONS, help="run only this section (repeatable; default all)"
    )
    parser.add_argument(
        "--cases",
        type=pathlib.Path,
        default=EVALCASES_DIR,
        help="directory of *.jsonl cases (default: the test set)",
    )
    parser.add_argument("--data-dir", type=pathlib.Path, default=None, help="shared data directory")
    parser.add_argument(
        "--model-dir", type=pathlib.Path, default=None, help="model directory (default: shipped)"
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its one-line error itself
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    sections = args.section or list(SECTIONS)
    report: dict[str, Any] = {"skipped": {}}
    runners = {
        "cases": lambda: evaluate_cases(args.cases, args.model_dir),
        "toxicity": lambda: evaluate_toxicity(args.data_dir, args.model_dir),
        "wrongdoing": lambda: evaluate_wrongdoing(args.data_dir, args.model_dir),
        "category": lambda: evaluate_category_model(args.cases, args.model_dir),
        "robustness": lambda: evaluate_robustness(args.cases, args.model_dir),
    }
    for name in SECTIONS:
        if name not in sections:
            continue
        try:
            report[name] = runners[name]()
        except SectionSkipped as exc:
            report["skipped"][name] = str(exc)
        except (ValueError, OSError) as exc:
            print(f"hikeshi eval: {name}: {exc}", file=sys.stderr)
            return EXIT_SKIPPED
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else render_text(report))
    return EXIT_SKIPPED if report["skipped"] else EXIT_OK
