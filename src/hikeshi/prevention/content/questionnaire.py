"""The guided questionnaire (``questionnaire.toml``) and the validation of answers against it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ._files import check_keys, load_toml, require_list, require_str
from .conditions import evaluate, parse_condition, referenced_names, referenced_values
from .errors import AnswerIssue, AnswersInvalid, ContentError

QuestionType = Literal["single", "multi", "text", "bool"]
_TYPES: tuple[str, ...] = ("single", "multi", "text", "bool")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_QUESTION_KEYS = {
    "id", "type", "text", "help", "required", "default", "options", "ask_when", "min_selected", "max_length",
}  # fmt: skip


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: str
    help: str
    required: bool
    default: Any
    options: tuple[Option, ...] = ()
    ask_when: str | None = None
    min_selected: int = 0
    max_length: int = 200

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)

    def label_of(self, option_id: str) -> str:
        for option in self.options:
            if option.id == option_id:
                return option.label
        raise KeyError(f"{self.id}: 未知の選択肢「{option_id}」")


@dataclass(frozen=True)
class Questionnaire:
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(question.id for question in self.questions)

    def check_condition(self, source: str, where: str) -> None:
        """Reject a content condition naming a question or option that does not exist."""
        node = parse_condition(source)
        for name in referenced_names(node):
            if name not in self.ids:
                raise ContentError(f"{where}: 条件式「{source}」の「{name}」は質問IDではありません")
        for name, value in referenced_values(node):
            question = self.question(name)
            if question.type in ("single", "multi") and value not in question.option_ids:
                raise ContentError(
                    f"{where}: 条件式「{source}」の「{value}」は質問「{name}」の選択肢にありません"
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": [
                {
                    "id": q.id,
                    "type": q.type,
                    "text": q.text,
                    "help": q.help,
                    "required": q.required,
                    "default": q.default,
                    "ask_when": q.ask_when,
                    "options": [{"id": o.id, "label": o.label} for o in q.options],
                }
                for q in self.questions
            ]
        }


def _default_for(raw: dict[str, Any], question_type: str, options: tuple[Option, ...], where: str) -> Any:
    fallback: Any = {"single": None, "multi": [], "text": "", "bool": False}[question_type]
    default = raw.get("default", fallback)
    option_ids = {option.id for option in options}
    if question_type == "single" and default is not None and default not in option_ids:
        raise ContentError(f"{where}: 既定値「{default}」が選択肢にありません")
    if question_type == "multi" and (
        not isinstance(default, list) or any(value not in option_ids for value in default)
    ):
        raise ContentError(f"{where}: 既定値 {default!r} が選択肢にありません")
    if question_type == "bool" and not isinstance(default, bool):
        raise ContentError(f"{where}: 既定値は true か false です")
    if question_type == "text" and not isinstance(default, str):
        raise ContentError(f"{where}: 既定値は文字列です")
    return default


def _parse_question(raw: Any, index: int) -> Question:
    where = f"questionnaire.toml 質問{index + 1}"
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: 表（テーブル）である必要があります")
    check_keys(raw, _QUESTION_KEYS, where)
    question_id = require_str(raw, "id", where)
    where = f"questionnaire.toml 質問「{question_id}」"
    question_type = require_str(raw, "type", where)
    if question_type not in _TYPES:
        raise ContentError(f"{where}: type は {_TYPES} のいずれかです")
    options: list[Option] = []
    for option in require_list(raw, "options", where):
        if not isinstance(option, dict):
            raise ContentError(f"{where}: 選択肢は id と label を持つ表です")
        options.append(Option(require_str(option, "id", where), require_str(option, "label", where)))
    if question_type in ("single", "multi") and len(options) < 2:
        raise ContentError(f"{where}: 選択式の質問には2つ以上の選択肢が必要です")
    if question_type in ("text", "bool") and options:
        raise ContentError(f"{where}: {question_type} の質問に選択肢は書けません")
    if len({option.id for option in options}) != len(options):
        raise ContentError(f"{where}: 選択肢IDが重複しています")
    ask_when = raw.get("ask_when")
    if ask_when is not None and not isinstance(ask_when, str):
        raise ContentError(f"{where}: ask_when は文字列です")
    return Question(
        id=question_id,
        type=question_type,  # type: ignore[arg-type]  # narrowed by the membership check above
        text=require_str(raw, "text", where),
        help=require_str(raw, "help", where),
        required=bool(raw.get("required", False)),
        default=_default_for(raw, question_type, tuple(options), where),
        options=tuple(options),
        ask_when=ask_when,
        min_selected=int(raw.get("min_selected", 0)),
        max_length=int(raw.get("max_length", 200)),
    )


@lru_cache(maxsize=1)
def load_questionnaire() -> Questionnaire:
    data = load_toml("questionnaire.toml")
    check_keys(data, {"questions"}, "questionnaire.toml")
    questions = tuple(
        _parse_question(raw, i) for i, raw in enumerate(require_list(data, "questions", "questionnaire.toml"))
    )
    questionnaire = Questionnaire(questions)
    seen: set[str] = set()
    for question in questions:
        if question.id in seen:
            raise ContentError(f"questionnaire.toml: 質問ID「{question.id}」が重複しています")
        seen.add(question.id)
        if question.ask_when is not None:
            # A question may only depend on questions asked before it, so a form can be filled top to bottom.
            earlier = Questionnaire(tuple(q for q in questions if q.id in seen and q.id != question.id))
            earlier.check_condition(question.ask_when, f"質問「{question.id}」の ask_when")
    return questionnaire


def _check_value(question: Question, value: Any) -> str | None:
    """Return a message for the user when ``value`` is unacceptable, else None."""
    if question.type == "bool":
        return None if isinstance(value, bool) else "「はい」か「いいえ」（true / false）で回答してください。"
    if question.type == "text":
        if not isinstance(value, str):
            return "文字列で回答してください。"
        if _CONTROL.search(value):
            return "改行や制御文字は使えません。1行で入力してください。"
        if len(value.strip()) > question.max_length:
            return f"{question.max_length}文字以内で入力してください（現在{len(value.strip())}文字）。"
        if question.required and not value.strip():
            return "入力が必要です。"
        return None
    if question.type == "single":
        if not isinstance(value, str) or value not in question.option_ids:
            return f"選択肢 {list(question.option_ids)} のいずれかを選んでください（回答：{value!r}）。"
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "選択肢IDの配列で回答してください。"
    unknown = [item for item in value if item not in question.option_ids]
    if unknown:
        return f"未知の選択肢 {unknown} が含まれています。選べるのは {list(question.option_ids)} です。"
    if len(set(value)) != len(value):
        return "同じ選択肢が重複しています。"
    if len(value) < question.min_selected:
        return f"{question.min_selected}つ以上選んでください。"
    return None


def _normalize(answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[AnswerIssue]]:
    questionnaire = load_questionnaire()
    issues: list[AnswerIssue] = []
    if not isinstance(answers, Mapping):
        return {}, [
            AnswerIssue("(answers)", "回答はJSONオブジェクト（質問IDと回答の組）である必要があります。")
        ]
    for key in answers:
        if key not in questionnaire.ids:
            issues.append(AnswerIssue(str(key), "この質問IDは質問票にありません。"))
    normalized: dict[str, Any] = {}
    for question in questionnaire.questions:
        asked = question.ask_when is None or evaluate(question.ask_when, normalized)
        value = answers.get(question.id)
        if not asked or value is None:
            if asked and question.required and question.default in (None, "", []):
                issues.append(AnswerIssue(question.id, f"回答が必要です（{question.text}）"))
            # Answers to questions that were not asked are dropped: a form may keep stale values around.
            normalized[question.id] = list(question.default) if question.type == "multi" else question.default
            continue
        message = _check_value(question, value)
        if message is not None:
            issues.append(AnswerIssue(question.id, message))
            normalized[question.id] = list(question.default) if question.type == "multi" else question.default
        else:
            normalized[question.id] = (
                value.strip() if isinstance(value, str) and question.type == "text" else value
            )
    return normalized, issues


def validate_answers(answers: Mapping[str, Any]) -> list[AnswerIssue]:
    """Every problem with ``answers`` (a JSON object), each naming its question id; empty when valid."""
    return _normalize(answers)[1]


def normalize_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers with defaults filled in and unasked questions reset; raises ``AnswersInvalid`` listing all issues."""
    normalized, issues = _normalize(answers)
    if issues:
        raise AnswersInvalid(issues)
    return normalized
