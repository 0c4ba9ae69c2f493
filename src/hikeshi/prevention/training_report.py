"""Completion of training per course and department (the admins' dashboard and `hikeshi training report`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.db.models import F, OuterRef, Subquery

from hikeshi.prevention.models import Enrollment
from hikeshi.tenancy.models import Membership, Organization

NO_DEPARTMENT = "（部署なし）"


@dataclass
class CompletionRow:
    course: str
    department: str
    enrolled: int = 0
    completed: int = 0
    overdue: int = 0

    @property
    def rate(self) -> int:
        return 100 * self.completed // self.enrolled if self.enrolled else 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"rate": self.rate}


def completion_by_department(organization: Organization, today: date) -> list[CompletionRow]:
    """One row per course and department over the current cycle of every assignment; one query.
    A member enrolled twice in a course (two assignments) counts once, completed only if all are."""
    department = Membership.objects.filter(
        organization=OuterRef("organization"), user=OuterRef("user")
    ).values("department")[:1]
    enrollments = (
        Enrollment.objects.for_org(organization)
        .filter(cycle=F("assignment__cycle"))
        .annotate(department=Subquery(department))
        .values_list("assignment__course__title", "department", "user_id", "completed_at", "due_date")
    )
    per_member: dict[tuple[str, str, int], tuple[bool, bool]] = {}
    for course, dept, user_id, completed_at, due_date in enrollments:
        key = (course, dept or NO_DEPARTMENT, user_id)
        done, late = per_member.get(key, (True, False))
        per_member[key] = (
            done and completed_at is not None,
            late or (completed_at is None and due_date < today),
        )
    rows: dict[tuple[str, str], CompletionRow] = defaultdict(lambda: CompletionRow("", ""))
    for (course, dept, _user), (done, late) in per_member.items():
        row = rows[(course, dept)]
        row.course, row.department = course, dept
        row.enrolled += 1
        row.completed += done
        row.overdue += late
    return [rows[key] for key in sorted(rows)]
