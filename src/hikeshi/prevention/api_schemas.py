"""Request and response schemas of the prevention API (``api.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class CheckIn(Schema):
    text: str = ""
    photo_base64: str | None = None
    strip_photo: bool = False


class SegmentOut(Schema):
    text: str
    code: str | None = None
    reason: str | None = None


class CitationOut(Schema):
    category: str
    citations: list[str]
    headings: list[str]


class PhotoOut(Schema):
    format: str
    width: int
    height: int
    has_exif: bool
    has_gps: bool
    latitude: float | None = None
    longitude: float | None = None
    stripped_base64: str | None = None
    stripped_content_type: str | None = None


class CheckOut(Schema):
    judgement: dict[str, Any] | None = None
    segments: list[SegmentOut] = Field(default_factory=list)
    citations: list[CitationOut] = Field(default_factory=list)
    photo: PhotoOut | None = None


class CourseOut(Schema):
    id: int
    content_id: str
    title: str
    pass_mark: int
    max_attempts: int


class AssignmentOut(Schema):
    id: int
    course_id: int
    course_title: str
    target: str = Field(description="all | role | department | employment_type | new_hires")
    target_label: str
    role: str
    department: str
    employment_type: str
    new_hire_days: int
    due_date: date
    recurrence: str = Field(description="once | yearly | on_joining")
    cycle: int
    enrolled: int = Field(description="members enrolled in the current cycle")
    completed: int = Field(description="of those, members who passed the test")


class CompletionOut(Schema):
    course: str
    department: str
    enrolled: int
    completed: int
    overdue: int
    rate: int = Field(description="completed / enrolled, in whole per cent")


class SurveyRunOut(Schema):
    id: int
    template_id: str
    title: str
    anonymous: bool
    created_at: datetime
    sent_at: datetime | None = None
    closed_at: datetime | None = None
    invited: int
    answered: int


class OptionCountOut(Schema):
    label: str
    count: int
    percent: int


class QuestionResultOut(Schema):
    id: str
    text: str
    type: str
    options: list[OptionCountOut]
    mean: float | None = None
    texts: list[str] = Field(default_factory=list, description="free-text answers, sorted (overall only)")


class GroupResultOut(Schema):
    dimension: str = Field(description="department | employment_type")
    label: str
    respondents: int
    questions: list[QuestionResultOut]


class SurveyResultsOut(Schema):
    run: SurveyRunOut
    respondents: int
    min_group: int = Field(description="anonymous runs hide every group smaller than this")
    suppressed: bool = Field(description="anonymous run with fewer than min_group respondents: nothing shown")
    overall: list[QuestionResultOut]
    groups: list[GroupResultOut]
    hidden: dict[str, int] = Field(description="respondents in hidden groups, per dimension")
