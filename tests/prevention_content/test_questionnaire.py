"""The questionnaire file and answer validation."""

from __future__ import annotations

import pytest

from hikeshi.prevention.content import AnswersInvalid, load_questionnaire, normalize_answers, validate_answers

from .conftest import answers_for


def test_questionnaire_loads_with_the_expected_questions() -> None:
    questionnaire = load_questionnaire()
    assert {
        "org_name", "kind", "industry", "size", "posters", "sensitive_info", "platforms", "has_official_accounts",
        "pr_contact",
    } <= set(questionnaire.ids)  # fmt: skip
    assert questionnaire.question("kind").option_ids == (
        "company", "school", "hospital_care", "shop_chain", "public_office",
    )  # fmt: skip
    assert set(questionnaire.question("posters").option_ids) == {
        "full_time", "part_time", "contractors", "students", "job_offer_holders",
    }  # fmt: skip
    for question in questionnaire.questions:
        assert question.text and question.help, question.id
    assert questionnaire.to_dict()["questions"][0]["id"] == "org_name"


def test_valid_answers_have_no_issues(kind: str) -> None:
    assert validate_answers(answers_for(kind)) == []


def test_defaults_are_filled_and_unasked_questions_dropped() -> None:
    normalized = normalize_answers(answers_for("school", listed=True))
    assert normalized["listed"] is False  # not asked of schools
    assert normalized["school_level"] == "high_school"
    assert normalized["sensitive_info"] == []
    assert normalized["org_name"] == "学校法人青葉学園 青葉高等学校"


@pytest.mark.parametrize(
    ("overrides", "question_id", "fragment"),
    [
        ({"kind": "zoo"}, "kind", "'zoo'"),
        ({"org_name": "   "}, "org_name", "入力が必要"),
        ({"org_name": "株式会社\nテスト"}, "org_name", "改行"),
        ({"org_name": "あ" * 121}, "org_name", "120文字以内"),
        ({"posters": []}, "posters", "1つ以上"),
        ({"posters": "full_time"}, "posters", "配列"),
        ({"posters": ["full_time", "interns"]}, "posters", "interns"),
        ({"posters": ["full_time", "full_time"]}, "posters", "重複"),
        ({"has_official_accounts": "yes"}, "has_official_accounts", "true / false"),
        ({"has_official_accounts": True, "official_platforms": []}, "official_platforms", "1つ以上"),
        ({"favourite_colour": "red"}, "favourite_colour", "質問票にありません"),
    ],
)
def test_bad_answers_name_the_question(overrides: dict[str, object], question_id: str, fragment: str) -> None:
    issues = validate_answers(answers_for("company", **overrides))
    assert [issue.question_id for issue in issues] == [question_id]
    assert fragment in issues[0].message


def test_missing_required_answers_are_all_reported() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        normalize_answers({})
    assert {issue.question_id for issue in caught.value.issues} == {"org_name", "kind", "pr_contact"}
    assert "org_name" in str(caught.value)


def test_answers_must_be_an_object() -> None:
    assert validate_answers(["kind"])[0].question_id == "(answers)"  # type: ignore[arg-type]
