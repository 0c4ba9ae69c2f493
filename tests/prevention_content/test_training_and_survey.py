"""Training courses, check tests and survey templates load and validate."""

from __future__ import annotations

from typing import Any

import pytest

from hikeshi.prevention.content import (
    COURSE_IDS,
    SURVEY_IDS,
    AnswersInvalid,
    ContentError,
    grade_test,
    load_course,
    load_survey,
)
from hikeshi.prevention.content.training import TestQuestion


def _right(question: TestQuestion) -> Any:
    if question.type == "single":
        return question.correct[0]
    if question.type == "multiple":
        return list(reversed(question.correct))
    return question.answer


@pytest.mark.parametrize("course_id", COURSE_IDS)
def test_course_is_complete(course_id: str) -> None:
    course = load_course(course_id)
    assert len(course.questions) >= 15
    assert {q.type for q in course.questions} == {"single", "multiple", "true_false", "post_or_not"}
    assert len({q.id for q in course.questions}) == len(course.questions)
    for question in course.questions:
        assert question.explanation
        assert question.is_correct(_right(question)), question.id
        if question.options:
            assert set(question.correct) <= {o.id for o in question.options}
    post_answers = {q.answer for q in course.questions if q.type == "post_or_not"}
    assert post_answers == {"post", "dont_post"}  # learners must not learn that "never post" is always right
    public = course.to_dict()
    assert "correct" not in public["questions"][0] and "explanation" not in public["questions"][0]
    assert "correct" in course.to_dict(with_answers=True)["questions"][0]


def test_employee_course_covers_the_seed_cases() -> None:
    text = "".join(lesson.markdown for lesson in load_course("employee").lessons)
    for phrase in ("選手が来店", "カルテ", "面接", "書類", "飲酒運転", "バイトテロ", "位置情報"):
        assert phrase in text, phrase
    school_text = "".join(lesson.markdown for lesson in load_course("school").lessons)
    for phrase in ("飲酒運転", "内定", "位置情報"):
        assert phrase in school_text, phrase


@pytest.mark.parametrize("course_id", COURSE_IDS)
def test_grading(course_id: str) -> None:
    course = load_course(course_id)
    perfect = {q.id: _right(q) for q in course.questions}
    assert grade_test(course, perfect).score == 100 and grade_test(course, perfect).passed
    # Four wrong answers out of 15-16 fall below the 80% pass mark (three would still pass: 13/16 = 81%).
    wrong = dict(perfect)
    for question in course.questions[:4]:
        wrong[question.id] = "post" if question.answer == "dont_post" else None
    result = grade_test(course, wrong)
    assert result.score == 100 * (len(course.questions) - 4) // len(course.questions)
    assert not result.passed
    assert [r.correct for r in result.results[:4]] == [False] * 4
    # A partially right multiple-choice answer is wrong; a string "false" is not the boolean false.
    multiple = next(q for q in course.questions if q.type == "multiple" and len(q.correct) > 1)
    assert not multiple.is_correct(list(multiple.correct[:1]))
    true_false = next(q for q in course.questions if q.type == "true_false")
    assert not true_false.is_correct(str(true_false.answer).lower())
    with pytest.raises(AnswersInvalid, match="q99"):
        grade_test(course, {"q99": "a"})


def test_unknown_course_and_survey() -> None:
    with pytest.raises(ContentError):
        load_course("managers")
    with pytest.raises(ContentError):
        load_survey("parents")


@pytest.mark.parametrize("survey_id", SURVEY_IDS)
def test_survey_templates(survey_id: str) -> None:
    survey = load_survey(survey_id)
    types = {q.type for q in survey.questions}
    assert types == {"single", "multi", "scale", "text"}
    ids = {q.id for q in survey.questions}
    assert {"platforms", "posting_frequency", "real_name", "posts_about_work"} <= ids
    assert any(q.id.startswith("scenario_") and q.type == "scale" for q in survey.questions)
    assert survey.to_dict()["questions"][0]["options"]
