"""SNS利用実態調査: survey templates (``survey/*.toml``) for employees and for students."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ._files import check_keys, load_toml, require_list, require_str
from .errors import ContentError

SURVEY_IDS: tuple[str, ...] = ("employee", "students")
SURVEY_TYPES: tuple[str, ...] = ("single", "multi", "scale", "text")
SurveyType = Literal["single", "multi", "scale", "text"]


@dataclass(frozen=True)
class SurveyOption:
    id: str
    label: str


@dataclass(frozen=True)
class SurveyQuestion:
    id: str
    type: SurveyType
    text: str
    required: bool
    options: tuple[SurveyOption, ...] = ()
    scale: tuple[int, int, str, str] | None = None  # min, max, label at min, label at max


@dataclass(frozen=True)
class Survey:
    id: str
    title: str
    intro: str
    questions: tuple[SurveyQuestion, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "intro": self.intro,
            "questions": [
                {
                    "id": q.id,
                    "type": q.type,
                    "text": q.text,
                    "required": q.required,
                    "options": [{"id": o.id, "label": o.label} for o in q.options],
                    "scale": None
                    if q.scale is None
                    else {
                        "min": q.scale[0],
                        "max": q.scale[1],
                        "min_label": q.scale[2],
                        "max_label": q.scale[3],
                    },
                }
                for q in self.questions
            ],
        }


def _parse_question(raw: Any, where: str) -> SurveyQuestion:
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: 設問は表です")
    check_keys(
        raw, {"id", "type", "text", "required", "options", "min", "max", "min_label", "max_label"}, where
    )
    question_id = require_str(raw, "id", where)
    where = f"{where}「{question_id}」"
    question_type = require_str(raw, "type", where)
    if question_type not in SURVEY_TYPES:
        raise ContentError(f"{where}: type は {SURVEY_TYPES} のいずれかです")
    options = tuple(
        SurveyOption(require_str(o, "id", where), require_str(o, "label", where))
        for o in require_list(raw, "options", where)
    )
    scale: tuple[int, int, str, str] | None = None
    if question_type in ("single", "multi"):
        if len(options) < 2 or len({o.id for o in options}) != len(options):
            raise ContentError(f"{where}: 選択肢は2つ以上で、IDが重複しないこと")
    elif options:
        raise ContentError(f"{where}: {question_type} に選択肢は書けません")
    if question_type == "scale":
        low, high = raw.get("min"), raw.get("max")
        if not isinstance(low, int) or not isinstance(high, int) or not low < high <= low + 10:
            raise ContentError(f"{where}: 尺度は min < max の整数（11段階まで）です")
        scale = (low, high, require_str(raw, "min_label", where), require_str(raw, "max_label", where))
    return SurveyQuestion(
        id=question_id,
        type=question_type,  # type: ignore[arg-type]  # checked against SURVEY_TYPES above
        text=require_str(raw, "text", where),
        required=bool(raw.get("required", True)),
        options=options,
        scale=scale,
    )


@lru_cache(maxsize=len(SURVEY_IDS))
def load_survey(survey_id: str) -> Survey:
    if survey_id not in SURVEY_IDS:
        raise ContentError(f"未知の調査「{survey_id}」です。使えるのは {list(SURVEY_IDS)} です")
    file = f"survey/{survey_id}.toml"
    data = load_toml(file)
    check_keys(data, {"id", "title", "intro", "questions"}, file)
    if data.get("id") != survey_id:
        raise ContentError(f"{file}: id は「{survey_id}」である必要があります")
    questions = tuple(
        _parse_question(raw, f"{file} 設問{i + 1}")
        for i, raw in enumerate(require_list(data, "questions", file))
    )
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ContentError(f"{file}: 設問IDが重複しています")
    missing = set(SURVEY_TYPES) - {q.type for q in questions}
    if missing:
        raise ContentError(f"{file}: 次の形式の設問がありません {sorted(missing)}")
    return Survey(survey_id, require_str(data, "title", file), require_str(data, "intro", file), questions)
