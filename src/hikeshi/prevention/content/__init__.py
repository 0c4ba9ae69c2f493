"""Content and document generator for the prevention program (予防・事前対策).

Pure Python, no Django: the guided questionnaire, the four rule documents generated from its answers, training
courses with check tests, SNS-usage survey templates and the readiness self-diagnosis. See
docs/prevention-content.md.
"""

from __future__ import annotations

from .categories import CATEGORY_TO_CLAUSE_KEYS, citations_for_category
from .errors import AnswerIssue, AnswersInvalid, ContentError
from .generator import Clause, Document, Example, Paragraph, cite, generate, generate_all
from .questionnaire import Question, Questionnaire, load_questionnaire, normalize_answers, validate_answers
from .templates import DOC_CODES

__all__ = [
    "CATEGORY_TO_CLAUSE_KEYS",
    "DOC_CODES",
    "AnswerIssue",
    "AnswersInvalid",
    "Clause",
    "ContentError",
    "Document",
    "Example",
    "Paragraph",
    "Question",
    "Questionnaire",
    "citations_for_category",
    "cite",
    "generate",
    "generate_all",
    "load_questionnaire",
    "normalize_answers",
    "validate_answers",
]
