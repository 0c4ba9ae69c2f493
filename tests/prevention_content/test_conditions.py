"""The safe condition language used by content files."""

from __future__ import annotations

import pytest

from hikeshi.prevention.content import ContentError, load_questionnaire
from hikeshi.prevention.content.conditions import evaluate, parse_condition

ANSWERS = {"kind": "school", "posters": ["students", "full_time"], "listed": False, "org_name": "x"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("kind == 'school'", True),
        ("kind != 'school'", False),
        ("kind in ['company', 'school']", True),
        ("kind not in ['company', 'school']", False),
        ("'students' in posters", True),
        ("'contractors' not in posters", True),
        ("listed", False),
        ("not listed", True),
        ("org_name", True),
        ("listed or kind == 'school' and 'students' in posters", True),
        ("(listed or kind == 'school') and 'contractors' in posters", False),
        ('not (listed or kind == "company")', True),
        ("listed == false", True),
    ],
)
def test_evaluate(source: str, expected: bool) -> None:
    assert evaluate(source, ANSWERS) is expected


@pytest.mark.parametrize(
    "source",
    [
        "",
        "kind ==",
        "kind = 'school'",
        "__import__('os')",
        "kind in [school]",
        "(kind == 'a'",
        "kind == 'a' extra",
        "1 == 1",
    ],
)
def test_malformed_conditions_are_rejected(source: str) -> None:
    with pytest.raises(ContentError):
        parse_condition(source)


def test_unknown_name_at_evaluation() -> None:
    with pytest.raises(ContentError, match="nothing"):
        evaluate("nothing", ANSWERS)


def test_questionnaire_checks_names_and_option_ids() -> None:
    questionnaire = load_questionnaire()
    questionnaire.check_condition("kind in ['school', 'company'] and 'students' in posters", "test")
    with pytest.raises(ContentError, match="kindd"):
        questionnaire.check_condition("kindd == 'school'", "test")
    with pytest.raises(ContentError, match="shcool"):
        questionnaire.check_condition("kind == 'shcool'", "test")
    with pytest.raises(ContentError, match="pupil"):
        questionnaire.check_condition("'pupil' in sensitive_info", "test")
