"""Shared answer sets for the prevention content tests."""

from __future__ import annotations

from typing import Any

import pytest

KINDS = ("company", "school", "hospital_care", "shop_chain", "public_office")


def answers_for(kind: str, /, **overrides: Any) -> dict[str, Any]:
    """A realistic, minimal set of answers for ``kind``; overrides replace single answers."""
    answers: dict[str, Any] = {
        "org_name": {
            "company": "株式会社ひかり精工",
            "school": "学校法人青葉学園 青葉高等学校",
            "hospital_care": "医療法人若葉会 若葉総合病院",
            "shop_chain": "株式会社まんぷく食堂",
            "public_office": "みどり市役所",
        }[kind],
        "kind": kind,
        "pr_contact": "広報課",
        "posters": ["full_time", "part_time"],
    }
    answers.update(overrides)
    return answers


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
