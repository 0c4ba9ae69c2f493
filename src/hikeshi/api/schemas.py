from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class OrganizationOut(Schema):
    slug: str
    name: str
    kind: str
    industry: str
    size: str


class MemberOut(Schema):
    id: int
    email: str
    display_name: str
    role: str
    department: str


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, object]


class IncidentIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    level: int = Field(1, ge=0, le=4)
    summary: str = Field("", max_length=5000)


class TimelineIn(Schema):
    text: str = Field(..., min_length=1, max_length=5000)


class TimelineEntryOut(Schema):
    id: int
    at: datetime
    author: str | None
    text: str


class IncidentOut(Schema):
    id: int
    title: str
    level: int
    summary: str
    opened_at: datetime
    closed_at: datetime | None


class IncidentDetailOut(IncidentOut):
    timeline: list[TimelineEntryOut]


class AnalyzeIn(Schema):
    texts: list[str] = Field(..., min_length=1, max_length=1000)


class EvidenceOut(Schema):
    start: int
    end: int
    text: str
    reason: str


class CategoryOut(Schema):
    code: str
    score: float
    evidence: list[EvidenceOut]


class SentimentOut(Schema):
    label: str
    score: float


class PiiOut(Schema):
    type: str
    start: int
    end: int
    text: str


class JudgementOut(Schema):
    id: str | None
    risk: float
    level: str
    categories: list[CategoryOut]
    sentiment: SentimentOut
    toxicity: float
    wrongdoing: float
    pii: list[PiiOut]
    explanation: str


class ErrorOut(Schema):
    detail: str
