"""Training courses (``training/<course>/``): lessons in Markdown with TOML front matter, and a check test.

Loading validates everything a learner could trip over: unique ids, a correct answer that is one of the options,
every question tied to an existing lesson, every lesson tested, all four question types present.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ._files import CONTENT_DIR, check_keys, load_toml, require_list, require_str
from .errors import AnswerIssue, AnswersInvalid, ContentError

COURSE_IDS: tuple[str, ...] = ("employee", "school")
QUESTION_TYPES: tuple[str, ...] = ("single", "multiple", "true_false", "post_or_not")
POST_CHOICES: tuple[str, ...] = ("post", "dont_post")
MIN_QUESTIONS = 15
QuestionType = Literal["single", "multiple", "true_false", "post_or_not"]


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    minutes: int
    markdown: str


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True)
class TestQuestion:
    __test__ = False  # not a pytest test class, despite the name
    id: str
    type: QuestionType
    lesson: str
    prompt: str
    explanation: str
    options: tuple[Choice, ...] = ()
    correct: tuple[str, ...] = ()  # single / multiple: option ids
    answer: bool | str | None = None  # true_false: bool; post_or_not: "post" / "dont_post"
    draft: str | None = None  # post_or_not: the text the learner is about to post

    def is_correct(self, response: Any) -> bool:
        if self.type == "single":
            return isinstance(response, str) and (response,) == self.correct
        if self.type == "multiple":
            return isinstance(response, list | tuple) and sorted(set(response)) == sorted(self.correct)
        return type(response) is type(self.answer) and response == self.answer


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    audience: str
    description: str
    lessons: tuple[Lesson, ...]
    questions: tuple[TestQuestion, ...]
    pass_mark: int

    def to_dict(self, *, with_answers: bool = False) -> dict[str, Any]:
        """JSON for the course pages; answers and explanations only when asked (never send them before grading)."""
        questions = []
        for q in self.questions:
            item: dict[str, Any] = {"id": q.id, "type": q.type, "lesson": q.lesson, "prompt": q.prompt}
            if q.options:
                item["options"] = [{"id": o.id, "label": o.label} for o in q.options]
            if q.draft is not None:
                item["draft"] = q.draft
            if with_answers:
                item["correct"] = list(q.correct) if q.correct else q.answer
                item["explanation"] = q.explanation
            questions.append(item)
        return {
            "id": self.id,
            "title": self.title,
            "audience": self.audience,
            "description": self.description,
            "pass_mark": self.pass_mark,
            "lessons": [
                {
                    "id": lesson.id,
                    "title": lesson.title,
                    "minutes": lesson.minutes,
                    "markdown": lesson.markdown,
                }
                for lesson in self.lessons
            ],
            "questions": questions,
        }


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class TestResult:
    __test__ = False
    score: int  # percent, rounded down so that a pass is never granted by rounding
    passed: bool
    results: tuple[QuestionResult, ...]


def _parse_lesson(course_id: str, stem: str) -> Lesson:
    relative = f"training/{course_id}/lessons/{stem}.md"
    path = CONTENT_DIR / relative
    if not path.is_file():
        raise ContentError(f"{relative}: ファイルがありません")
    text = path.read_text(encoding="utf-8")
    parts = text.split("+++\n", 2)
    if len(parts) != 3 or parts[0] != "":
        raise ContentError(f"{relative}: 先頭に +++ で囲んだTOMLの見出し情報が必要です")
    try:
        meta = tomllib.loads(parts[1])
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{relative}: 見出し情報がTOMLとして読めません（{exc}）") from exc
    check_keys(meta, {"id", "title", "minutes"}, relative)
    minutes = meta.get("minutes")
    if not isinstance(minutes, int) or minutes <= 0:
        raise ContentError(f"{relative}: minutes は正の整数です")
    body = parts[2].strip()
    if len(body) < 200:
        raise ContentError(f"{relative}: 本文が短すぎます")
    return Lesson(require_str(meta, "id", relative), require_str(meta, "title", relative), minutes, body)


def _parse_question(raw: Any, where: str, lesson_ids: set[str]) -> TestQuestion:
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: 設問は表です")
    check_keys(
        raw, {"id", "type", "lesson", "prompt", "options", "correct", "answer", "draft", "explanation"}, where
    )
    question_id = require_str(raw, "id", where)
    where = f"{where}「{question_id}」"
    question_type = require_str(raw, "type", where)
    if question_type not in QUESTION_TYPES:
        raise ContentError(f"{where}: type は {QUESTION_TYPES} のいずれかです")
    lesson = require_str(raw, "lesson", where)
    if lesson not in lesson_ids:
        raise ContentError(f"{where}: レッスン「{lesson}」は講座にありません")
    options = tuple(
        Choice(require_str(o, "id", where), require_str(o, "label", where))
        for o in require_list(raw, "options", where)
    )
    correct = tuple(require_list(raw, "correct", where))
    answer = raw.get("answer")
    draft = raw.get("draft")
    if question_type in ("single", "multiple"):
        option_ids = [o.id for o in options]
        if len(options) < 3 or len(set(option_ids)) != len(option_ids):
            raise ContentError(f"{where}: 選択肢は3つ以上で、IDが重複しないこと")
        if not correct or any(c not in option_ids for c in correct) or len(set(correct)) != len(correct):
            raise ContentError(f"{where}: correct は選択肢IDから重複なく選びます")
        if question_type == "single" and len(correct) != 1:
            raise ContentError(f"{where}: 単一選択の正解は1つです")
        if answer is not None or draft is not None:
            raise ContentError(f"{where}: 選択式に answer / draft は書けません")
    else:
        if options or correct:
            raise ContentError(f"{where}: {question_type} に options / correct は書けません")
        if question_type == "true_false" and not isinstance(answer, bool):
            raise ContentError(f"{where}: 正誤問題の answer は true / false です")
        if question_type == "post_or_not":
            if answer not in POST_CHOICES:
                raise ContentError(f"{where}: answer は {POST_CHOICES} のいずれかです")
            if not isinstance(draft, str) or not draft.strip():
                raise ContentError(f"{where}: 投稿判断の問題には draft（投稿しようとしている文）が必要です")
        elif draft is not None:
            raise ContentError(f"{where}: draft は投稿判断の問題だけに書けます")
    return TestQuestion(
        id=question_id,
        type=question_type,  # type: ignore[arg-type]  # checked against QUESTION_TYPES above
        lesson=lesson,
        prompt=require_str(raw, "prompt", where),
        explanation=require_str(raw, "explanation", where),
        options=options,
        correct=tuple(str(c) for c in correct),
        answer=answer,
        draft=draft.strip() if isinstance(draft, str) else None,
    )


@lru_cache(maxsize=len(COURSE_IDS))
def load_course(course_id: str) -> Course:
    if course_id not in COURSE_IDS:
        raise ContentError(f"未知の講座「{course_id}」です。使えるのは {list(COURSE_IDS)} です")
    file = f"training/{course_id}/course.toml"
    meta = load_toml(file)
    check_keys(meta, {"id", "title", "audience", "description", "lessons", "test"}, file)
    lessons = tuple(_parse_lesson(course_id, str(stem)) for stem in require_list(meta, "lessons", file))
    lesson_ids = [lesson.id for lesson in lessons]
    if not lessons or len(set(lesson_ids)) != len(lesson_ids):
        raise ContentError(f"{file}: レッスンがないか、レッスンIDが重複しています")
    test_file = f"training/{course_id}/{require_str(meta, 'test', file)}"
    test = load_toml(test_file)
    check_keys(test, {"pass_mark", "questions"}, test_file)
    pass_mark = test.get("pass_mark")
    if not isinstance(pass_mark, int) or not 1 <= pass_mark <= 100:
        raise ContentError(f"{test_file}: pass_mark は1〜100の整数です")
    questions = tuple(
        _parse_question(raw, f"{test_file} 設問{i + 1}", set(lesson_ids))
        for i, raw in enumerate(require_list(test, "questions", test_file))
    )
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ContentError(f"{test_file}: 設問IDが重複しています")
    if len(questions) < MIN_QUESTIONS:
        raise ContentError(f"{test_file}: 設問は{MIN_QUESTIONS}問以上必要です（現在{len(questions)}問）")
    missing_types = set(QUESTION_TYPES) - {q.type for q in questions}
    if missing_types:
        raise ContentError(f"{test_file}: 次の形式の設問がありません {sorted(missing_types)}")
    untested = set(lesson_ids) - {q.lesson for q in questions}
    if untested:
        raise ContentError(f"{test_file}: 設問のないレッスンがあります {sorted(untested)}")
    return Course(
        id=require_str(meta, "id", file),
        title=require_str(meta, "title", file),
        audience=require_str(meta, "audience", file),
        description=require_str(meta, "description", file),
        lessons=lessons,
        questions=questions,
        pass_mark=pass_mark,
    )


def grade_test(course: Course, responses: Mapping[str, Any]) -> TestResult:
    """Grade a learner's responses; unanswered questions count as wrong, unknown question ids are an error."""
    known = {q.id for q in course.questions}
    unknown = [
        AnswerIssue(str(key), "この設問IDはテストにありません。") for key in responses if key not in known
    ]
    if unknown:
        raise AnswersInvalid(unknown)
    results = tuple(
        QuestionResult(q.id, q.id in responses and q.is_correct(responses[q.id]), q.explanation)
        for q in course.questions
    )
    score = 100 * sum(r.correct for r in results) // len(results)
    return TestResult(score=score, passed=score >= course.pass_mark, results=results)
