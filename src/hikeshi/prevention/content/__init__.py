"""Content and document generator for the prevention program (予防・事前対策).

Pure Python, no Django: the guided questionnaire, the four rule documents generated from its answers, training
courses with check tests, SNS-usage survey templates and the readiness self-diagnosis. See
docs/prevention-content.md.
"""

from __future__ import annotations

from .categories import CATEGORY_TO_CLAUSE_KEYS, citations_for_category
from .diagnosis import DiagnosisResult, load_diagnosis, score, validate_diagnosis_answers
from .errors import AnswerIssue, AnswersInvalid, ContentError
from .generator import Clause, Document, Example, Paragraph, cite, generate, generate_all
from .questionnaire import Question, Questionnaire, load_questionnaire, normalize_answers, validate_answers
from .survey import SURVEY_IDS, Survey, load_survey
from .templates import DOC_CODES
from .training import COURSE_IDS, Course, TestResult, grade_test, load_course

__all__ = [
    "CATEGORY_TO_CLAUSE_KEYS",
    "COURSE_IDS",
    "DOC_CODES",
    "SURVEY_IDS",
    "AnswerIssue",
    "AnswersInvalid",
    "Clause",
    "ContentError",
    "Course",
    "DiagnosisResult",
    "Document",
    "Example",
    "Paragraph",
    "Question",
    "Questionnaire",
    "Survey",
    "TestResult",
    "citations_for_category",
    "cite",
    "generate",
    "generate_all",
    "grade_test",
    "load_course",
    "load_diagnosis",
    "load_questionnaire",
    "load_survey",
    "normalize_answers",
    "score",
    "validate_answers",
    "validate_diagnosis_answers",
]
