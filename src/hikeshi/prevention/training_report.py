"""Completion of training per course and department (the admins' dashboard and `hikeshi training report`), and
the members who used up their attempts (for an admin to grant more)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Subquery

from hikeshi.prevention.models import Attempt, Course, Enrollment
from hikeshi.prevention.training_actions import attempts_left
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


@dataclass
class OutOfAttempts:
    """A member with an open enrolment who has no attempts left and has not passed: an admin may grant more."""

    course: str
    user: str
    department: str
    last_attempt_id: int
    last_score: int


def members_out_of_attempts(organization: Organization) -> list[OutOfAttempts]:
    """Candidates are read in one query (failed attempts of members still enrolled); only those with at least
    ``max_attempts`` failures are checked exactly with ``attempts_left`` (which honours renewals and grants)."""
    open_enrolment = Enrollment.objects.filter(
        assignment__course=OuterRef("course"), user=OuterRef("user"), completed_at__isnull=True
    )
    candidates = (
        Attempt.objects.for_org(organization)
        .filter(passed=False)
        .filter(Exists(open_enrolment))
        .values("course_id", "user_id", "course__max_attempts")
        .annotate(failures=Count("pk"), last_id=Max("pk"))
        .filter(failures__gte=F("course__max_attempts"))
    )
    rows = []
    courses = {c.pk: c for c in Course.objects.for_org(organization)}
    memberships = {
        m.user_id: m for m in Membership.objects.filter(organization=organization).select_related("user")
    }
    for candidate in candidates:
        course, membership = courses[candidate["course_id"]], memberships.get(candidate["user_id"])
        if membership is None or attempts_left(course, membership.user) > 0:
            continue
        last = Attempt.objects.get(pk=candidate["last_id"])
        rows.append(
            OutOfAttempts(
                course.title,
                str(membership.user),
                membership.department or NO_DEPARTMENT,
                last.pk,
                last.score,
            )
        )
    return sorted(rows, key=lambda r: (r.course, r.department, r.user))
