"""Shared helpers for the prevention app tests: answers, published documents."""

from __future__ import annotations

from typing import Any

from hikeshi.accounts.models import User
from hikeshi.prevention.models import PolicyVersion
from hikeshi.prevention.policy_actions import do_approve, do_generate_documents, do_publish
from hikeshi.tenancy.models import Organization


def company_answers(name: str = "アルファ株式会社", **overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "org_name": name,
        "kind": "company",
        "industry": "retail",
        "pr_contact": "広報部（pr@alpha.example）",
        "posters": ["full_time", "part_time"],
        "sensitive_info": ["customers"],
    }
    answers.update(overrides)
    return answers


def publish_all(organization: Organization, admin: User, **overrides: Any) -> dict[str, PolicyVersion]:
    versions = do_generate_documents(
        organization, company_answers(organization.name, **overrides), created_by=admin
    )
    return {code: do_publish(do_approve(v, approved_by=admin)) for code, v in versions.items()}


def perfect_form_data(content: Any) -> dict[str, Any]:
    """POST data answering every question of a course's test correctly (as the test page's fields)."""
    data: dict[str, Any] = {}
    for q in content.questions:
        if q.type == "single":
            data[f"q_{q.id}"] = q.correct[0]
        elif q.type == "multiple":
            data[f"q_{q.id}"] = list(q.correct)
        elif q.type == "true_false":
            data[f"q_{q.id}"] = "true" if q.answer else "false"
        else:
            data[f"q_{q.id}"] = q.answer
    return data


def perfect_responses(course: Any) -> dict[str, Any]:
    """Typed responses (as ``grade_test`` takes them) answering every question of a course correctly."""
    from hikeshi.prevention.content import load_course

    return {
        q.id: list(q.correct) if q.type == "multiple" else (q.correct[0] if q.correct else q.answer)
        for q in load_course(course.content_id).questions
    }
