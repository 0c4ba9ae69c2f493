"""Errors raised by the prevention content package.

Two kinds of problem are kept apart on purpose: a broken content file is a bug for the people who maintain the
content (``ContentError``), while bad answers come from a user filling in a form and must be shown back to them,
question by question (``AnswersInvalid``).
"""

from __future__ import annotations

from dataclasses import dataclass


class ContentError(Exception):
    """A content file (TOML / Markdown) is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class AnswerIssue:
    """One problem with one answer, addressed to the person who filled in the form."""

    question_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.question_id}: {self.message}"


class AnswersInvalid(ValueError):
    """The answers dict does not satisfy the questionnaire; ``issues`` names each offending question."""

    def __init__(self, issues: list[AnswerIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("; ".join(str(issue) for issue in issues))
