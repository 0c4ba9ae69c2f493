"""炎上リスク診断: the readiness self-diagnosis (``diagnosis.toml``) and its scoring.

Scoring, as documented for users: each area's score is its points over the points possible, on a 0–100 scale
rounded half up; questions answered "not applicable" leave both out. The overall score is the mean of the five
area scores, again rounded half up, and the grade is the highest band whose ``min_score`` it reaches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ._files import check_keys, load_toml, require_list, require_str
from .errors import AnswerIssue, AnswersInvalid, ContentError


@dataclass(frozen=True)
class DiagnosisOption:
    id: str
    label: str
    points: int | None  # None: 該当しない


@dataclass(frozen=True)
class DiagnosisQuestion:
    id: str
    area: str
    text: str
    options: tuple[DiagnosisOption, ...]

    @property
    def max_points(self) -> int:
        return max(option.points for option in self.options if option.points is not None)

    def option(self, option_id: str) -> DiagnosisOption | None:
        return next((option for option in self.options if option.id == option_id), None)


@dataclass(frozen=True)
class Area:
    id: str
    label: str
    next_steps: tuple[str, ...]


@dataclass(frozen=True)
class Grade:
    grade: str
    min_score: int
    label: str
    summary: str


@dataclass(frozen=True)
class Diagnosis:
    areas: tuple[Area, ...]
    grades: tuple[Grade, ...]  # highest band first
    questions: tuple[DiagnosisQuestion, ...]
    weak_below: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "areas": [{"id": a.id, "label": a.label} for a in self.areas],
            "questions": [
                {
                    "id": q.id,
                    "area": q.area,
                    "text": q.text,
                    "options": [{"id": o.id, "label": o.label} for o in q.options],
                }
                for q in self.questions
            ],
        }


@dataclass(frozen=True)
class AreaResult:
    area: str
    label: str
    score: int
    points: int
    max_points: int


@dataclass(frozen=True)
class NextSteps:
    area: str
    label: str
    score: int
    steps: tuple[str, ...]


@dataclass(frozen=True)
class DiagnosisResult:
    areas: tuple[AreaResult, ...]
    overall: int
    grade: str
    grade_label: str
    summary: str
    next_steps: tuple[NextSteps, ...]  # weakest area first

    def area_score(self, area: str) -> int:
        return next(result.score for result in self.areas if result.area == area)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "grade": self.grade,
            "grade_label": self.grade_label,
            "summary": self.summary,
            "areas": [
                {
                    "area": a.area,
                    "label": a.label,
                    "score": a.score,
                    "points": a.points,
                    "max_points": a.max_points,
                }
                for a in self.areas
            ],
            "next_steps": [
                {"area": n.area, "label": n.label, "score": n.score, "steps": list(n.steps)}
                for n in self.next_steps
            ],
        }


def _round_half_up(numerator: int, denominator: int) -> int:
    # Python's round() rounds half to even (round(62.5) == 62); users expect 63.
    return (2 * numerator + denominator) // (2 * denominator)


def _parse_option(raw: Any, where: str) -> DiagnosisOption:
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: 選択肢は表です")
    check_keys(raw, {"id", "label", "points", "applicable"}, where)
    applicable = raw.get("applicable", True)
    points = raw.get("points")
    if applicable is False:
        if points is not None:
            raise ContentError(f"{where}: 「該当しない」選択肢に points は書けません")
        return DiagnosisOption(require_str(raw, "id", where), require_str(raw, "label", where), None)
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        raise ContentError(f"{where}: points は0以上の整数です")
    return DiagnosisOption(require_str(raw, "id", where), require_str(raw, "label", where), points)


@lru_cache(maxsize=1)
def load_diagnosis() -> Diagnosis:
    file = "diagnosis.toml"
    data = load_toml(file)
    check_keys(data, {"weak_below", "areas", "grades", "questions"}, file)
    areas = []
    for raw in require_list(data, "areas", file):
        check_keys(raw, {"id", "label", "next_steps"}, f"{file} areas")
        steps = tuple(require_list(raw, "next_steps", f"{file} areas"))
        if not steps or not all(isinstance(step, str) and step for step in steps):
            raise ContentError(f"{file} 領域「{raw.get('id')}」: next_steps に文字列が必要です")
        areas.append(Area(require_str(raw, "id", file), require_str(raw, "label", file), steps))
    area_ids = [area.id for area in areas]
    grades = sorted(
        (
            Grade(
                require_str(g, "grade", file),
                int(g["min_score"]),
                require_str(g, "label", file),
                g["summary"],
            )
            for g in require_list(data, "grades", file)
        ),
        key=lambda grade: -grade.min_score,
    )
    if not grades or grades[-1].min_score != 0:
        raise ContentError(f"{file}: 0点から始まる評価区分が必要です")
    questions = []
    for raw in require_list(data, "questions", file):
        check_keys(raw, {"id", "area", "text", "options"}, f"{file} questions")
        question_id = require_str(raw, "id", file)
        where = f"{file} 設問「{question_id}」"
        options = tuple(_parse_option(o, where) for o in require_list(raw, "options", where))
        question = DiagnosisQuestion(
            question_id, require_str(raw, "area", where), require_str(raw, "text", where), options
        )
        if question.area not in area_ids:
            raise ContentError(f"{where}: 領域「{question.area}」は areas にありません")
        if len({o.id for o in options}) != len(options) or len(options) < 2:
            raise ContentError(f"{where}: 選択肢IDは2つ以上で重複しないこと")
        if question.max_points <= 0:
            raise ContentError(f"{where}: 満点が0点です")
        questions.append(question)
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ContentError(f"{file}: 設問IDが重複しています")
    for area in areas:
        # An area needs a question that can never be "not applicable", or its score could be 0/0.
        if not any(q.area == area.id and all(o.points is not None for o in q.options) for q in questions):
            raise ContentError(f"{file}: 領域「{area.id}」に必ず採点される設問がありません")
    return Diagnosis(tuple(areas), tuple(grades), tuple(questions), int(data.get("weak_below", 70)))


def validate_diagnosis_answers(answers: Mapping[str, Any]) -> list[AnswerIssue]:
    diagnosis = load_diagnosis()
    if not isinstance(answers, Mapping):
        return [
            AnswerIssue("(answers)", "回答はJSONオブジェクト（設問IDと選択肢IDの組）である必要があります。")
        ]
    issues = [
        AnswerIssue(str(key), "この設問IDは診断にありません。")
        for key in answers
        if key not in {q.id for q in diagnosis.questions}
    ]
    for question in diagnosis.questions:
        value = answers.get(question.id)
        if value is None:
            issues.append(AnswerIssue(question.id, "回答が必要です。"))
        elif not isinstance(value, str) or question.option(value) is None:
            choices = [option.id for option in question.options]
            issues.append(
                AnswerIssue(question.id, f"選択肢 {choices} のいずれかを選んでください（回答：{value!r}）。")
            )
    return issues


def score(answers: Mapping[str, Any]) -> DiagnosisResult:
    """Score a complete set of answers (question id → option id); raises ``AnswersInvalid`` naming each problem."""
    issues = validate_diagnosis_answers(answers)
    if issues:
        raise AnswersInvalid(issues)
    diagnosis = load_diagnosis()
    results: list[AreaResult] = []
    for area in diagnosis.areas:
        points = possible = 0
        for question in (q for q in diagnosis.questions if q.area == area.id):
            chosen = question.option(answers[question.id])
            assert chosen is not None  # validated above
            if chosen.points is None:
                continue
            points += chosen.points
            possible += question.max_points
        results.append(
            AreaResult(area.id, area.label, _round_half_up(100 * points, possible), points, possible)
        )
    overall = _round_half_up(sum(r.score for r in results), len(results))
    grade = next(g for g in diagnosis.grades if overall >= g.min_score)
    weak = sorted(
        (r for r in results if r.score < diagnosis.weak_below), key=lambda r: r.score
    )  # stable: area order
    steps = {area.id: area.next_steps for area in diagnosis.areas}
    return DiagnosisResult(
        areas=tuple(results),
        overall=overall,
        grade=grade.grade,
        grade_label=grade.label,
        summary=grade.summary,
        next_steps=tuple(NextSteps(r.area, r.label, r.score, steps[r.area]) for r in weak),
    )
