"""Writes for training: seed courses, assign them to groups, enrol members (also on joining), grade test
attempts, renew yearly assignments and send due-date reminders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from hikeshi.accounts.models import User
from hikeshi.prevention.content import COURSE_IDS, AnswersInvalid, TestResult, grade_test, load_course
from hikeshi.prevention.content import Course as CourseContent
from hikeshi.prevention.models import (
    Assignment,
    AssignmentTarget,
    Attempt,
    AttemptGrant,
    Course,
    Enrollment,
    Recurrence,
    Reminder,
)
from hikeshi.prevention.models.training import DEFAULT_NEW_HIRE_DAYS
from hikeshi.tenancy.models import EmploymentType, Membership, Organization, OrganizationKind, Role

# Reminders start this long before the due date and repeat at most this often while the course is open.
REMIND_BEFORE = timedelta(days=3)
REMINDER_INTERVAL = timedelta(days=7)


def starter_course_id(organization: Organization) -> str:
    """The course to offer first: the students' version for schools, the employees' otherwise."""
    return "school" if organization.kind == OrganizationKind.SCHOOL else "employee"


@transaction.atomic
def do_seed_courses(organization: Organization) -> list[Course]:
    """Every starter course of the content package, once per organisation (idempotent)."""
    courses = []
    for content_id in COURSE_IDS:
        content = load_course(content_id)
        course, _created = Course.objects.get_or_create(
            organization=organization,
            content_id=content_id,
            defaults={"title": content.title, "pass_mark": content.pass_mark},
        )
        courses.append(course)
    return courses


def course_content(course: Course) -> CourseContent:
    return load_course(course.content_id)


def _target_memberships(assignment: Assignment, today: date) -> QuerySet[Membership]:
    members = Membership.objects.filter(organization=assignment.organization, user__is_active=True)
    if assignment.target == AssignmentTarget.ROLE:
        members = members.filter(role=assignment.role)
    elif assignment.target == AssignmentTarget.DEPARTMENT:
        members = members.filter(department=assignment.department)
    elif assignment.target == AssignmentTarget.EMPLOYMENT_TYPE:
        members = members.filter(employment_type=assignment.employment_type)
    elif assignment.target == AssignmentTarget.NEW_HIRES:
        # A join date in the future (a job-offer holder starting in April) counts as new too.
        members = members.filter(joined_on__gte=today - timedelta(days=assignment.new_hire_days))
    return members


def _enrol(assignment: Assignment, user_ids: list[int], due: date) -> int:
    existing = set(
        Enrollment.objects.filter(assignment=assignment, cycle=assignment.cycle).values_list(
            "user_id", flat=True
        )
    )
    new = [
        Enrollment(
            organization=assignment.organization,
            assignment=assignment,
            user_id=user_id,
            cycle=assignment.cycle,
            due_date=due,
        )
        for user_id in user_ids
        if user_id not in existing
    ]
    Enrollment.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def do_assign(
    course: Course,
    *,
    target: str,
    due_date: date,
    recurrence: str = Recurrence.ONCE,
    role: str = "",
    department: str = "",
    employment_type: str = "",
    new_hire_days: int = DEFAULT_NEW_HIRE_DAYS,
    days_to_complete: int = 14,
    created_by: User | None = None,
    today: date | None = None,
) -> Assignment:
    """Assign a course to a group and enrol its current members, due on ``due_date``."""
    today = today or timezone.localdate()
    if target not in AssignmentTarget.values:
        raise ValidationError("対象は 全員・ロール・部署・雇用形態・新規入社・入学者 のいずれかです。")
    if recurrence not in Recurrence.values:
        raise ValidationError("繰り返しは 1回・毎年・入会時 のいずれかです。")
    if target == AssignmentTarget.ROLE and role not in Role.values:
        raise ValidationError("対象のロールを選んでください。")
    department = department.strip()
    if target == AssignmentTarget.DEPARTMENT and not department:
        raise ValidationError("対象の部署を入力してください。")
    if target == AssignmentTarget.EMPLOYMENT_TYPE and employment_type not in EmploymentType.values:
        raise ValidationError("対象の雇用形態を選んでください。")
    if target == AssignmentTarget.NEW_HIRES and not 1 <= new_hire_days <= 730:
        raise ValidationError("新規入社・入学者とみなす日数は1〜730日です。")
    if not 1 <= days_to_complete <= 365:
        raise ValidationError("入会から期限までの日数は1〜365日です。")
    assignment = Assignment.objects.create(
        organization=course.organization,
        course=course,
        target=target,
        role=role if target == AssignmentTarget.ROLE else "",
        department=department if target == AssignmentTarget.DEPARTMENT else "",
        employment_type=employment_type if target == AssignmentTarget.EMPLOYMENT_TYPE else "",
        new_hire_days=new_hire_days if target == AssignmentTarget.NEW_HIRES else DEFAULT_NEW_HIRE_DAYS,
        due_date=due_date,
        recurrence=recurrence,
        days_to_complete=days_to_complete,
        created_by=created_by,
    )
    members = _target_memberships(assignment, today).values_list("user_id", flat=True)
    _enrol(assignment, list(members), due_date)
    return assignment


@transaction.atomic
def do_enrol_new_member(membership: Membership, *, today: date | None = None) -> int:
    """Enrol a member who just joined in the organisation's on-joining assignments that target them."""
    today = today or timezone.localdate()
    enrolled = 0
    for assignment in Assignment.objects.for_org(membership.organization).filter(
        recurrence=Recurrence.ON_JOINING
    ):
        if _target_memberships(assignment, today).filter(pk=membership.pk).exists():
            due = today + timedelta(days=assignment.days_to_complete)
            enrolled += _enrol(assignment, [membership.user_id], due)
    return enrolled


def open_enrollments(organization: Organization, user: User) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.for_org(organization)
        .filter(user=user, completed_at__isnull=True)
        .select_related("assignment__course")
    )


def attempts_left(course: Course, user: User) -> int:
    """Attempts (and extra attempts granted by an admin) count from the member's oldest open enrolment, so a
    yearly renewal gives fresh attempts."""
    attempts = Attempt.objects.filter(course=course, user=user)
    grants = AttemptGrant.objects.filter(course=course, user=user)
    oldest_open = (
        Enrollment.objects.filter(assignment__course=course, user=user, completed_at__isnull=True)
        .order_by("created_at")
        .first()
    )
    if oldest_open is not None:
        attempts = attempts.filter(submitted_at__gte=oldest_open.created_at)
        grants = grants.filter(granted_at__gte=oldest_open.created_at)
    extra: int = sum(grants.values_list("extra", flat=True))
    return max(0, int(course.max_attempts) + extra - attempts.count())


@transaction.atomic
def do_grant_attempt(
    course: Course, user: User, *, granted_by: User | None, extra: int = 1, now: datetime | None = None
) -> AttemptGrant:
    """Give a member who used up their attempts ``extra`` more (audited through the model)."""
    Course.objects.select_for_update().filter(pk=course.pk).first()
    if not Membership.objects.filter(organization=course.organization, user=user).exists():
        raise ValidationError("この組織のメンバーではありません。")
    if not 1 <= extra <= 5:
        raise ValidationError("追加できる回数は1〜5回です。")
    if attempts_left(course, user) > 0:
        raise ValidationError("まだ受験できる回数が残っています。")
    if Attempt.objects.filter(course=course, user=user, passed=True).exists() and not (
        Enrollment.objects.filter(assignment__course=course, user=user, completed_at__isnull=True).exists()
    ):
        raise ValidationError("この講座には合格済みです。")
    return AttemptGrant.objects.create(
        organization=course.organization,
        course=course,
        user=user,
        extra=extra,
        granted_by=granted_by,
        granted_at=now or timezone.now(),
    )


@dataclass(frozen=True)
class GradedAttempt:
    attempt: Attempt
    result: TestResult


def responses_from_form(content: CourseContent, data: Mapping[str, Any]) -> dict[str, Any]:
    """Form fields ``q_<id>`` → the typed responses ``grade_test`` expects (lists, bools, strings)."""
    responses: dict[str, Any] = {}
    for question in content.questions:
        field = f"q_{question.id}"
        if question.type == "multiple":
            values = data.getlist(field) if hasattr(data, "getlist") else data.get(field, [])
            if values:
                responses[question.id] = sorted(str(v) for v in values)
        elif question.type == "true_false":
            value = data.get(field)
            if value in ("true", "false"):
                responses[question.id] = value == "true"
        else:
            value = data.get(field)
            if value:
                responses[question.id] = str(value)
    return responses


@transaction.atomic
def do_submit_attempt(
    course: Course, user: User, responses: Mapping[str, Any], *, now: datetime | None = None
) -> GradedAttempt:
    """Grade and store an attempt; a pass completes the member's open enrolments for the course."""
    now = now or timezone.now()
    # Serialises attempts of one course so two quick submissions cannot take the same number.
    Course.objects.select_for_update().filter(pk=course.pk).first()
    if attempts_left(course, user) <= 0:
        raise ValidationError("受験回数の上限に達しました。管理者に相談してください。")
    try:
        result = grade_test(course_content(course), responses)
    except AnswersInvalid as exc:
        raise ValidationError(" ".join(issue.message for issue in exc.issues)) from None
    last = Attempt.objects.filter(course=course, user=user).order_by("-number").first()
    attempt = Attempt.objects.create(
        organization=course.organization,
        course=course,
        user=user,
        number=(last.number + 1) if last else 1,
        answers=dict(responses),
        score=result.score,
        passed=result.passed,
        submitted_at=now,
    )
    if result.passed:
        Enrollment.objects.filter(assignment__course=course, user=user, completed_at__isnull=True).update(
            completed_at=now
        )
    return GradedAttempt(attempt, result)


def _next_year(day: date) -> date:
    # 29 February has no twin in most years: the deadline falls on the 28th instead.
    return day.replace(
        year=day.year + 1, day=min(day.day, 28) if (day.month, day.day) == (2, 29) else day.day
    )


@transaction.atomic
def renew_yearly_assignments(today: date) -> int:
    """A yearly assignment whose due date has passed moves on a year and enrols its group again."""
    renewed = 0
    for assignment in Assignment.objects.select_for_update().filter(
        recurrence=Recurrence.YEARLY, due_date__lt=today
    ):
        while assignment.due_date < today:
            assignment.due_date = _next_year(assignment.due_date)
        assignment.cycle += 1
        assignment.save(update_fields=["due_date", "cycle"])
        members = list(_target_memberships(assignment, today).values_list("user_id", flat=True))
        _enrol(assignment, members, assignment.due_date)
        renewed += 1
    return renewed


def send_training_reminders(now: datetime) -> int:
    """Renew yearly assignments, then e-mail every member whose open enrolment is due within REMIND_BEFORE
    (or overdue); returns the number of e-mails. Idempotent: one reminder per enrolment per interval."""
    today = timezone.localdate(now)
    renew_yearly_assignments(today)
    due = Enrollment.objects.filter(
        completed_at__isnull=True, due_date__lte=today + REMIND_BEFORE, user__is_active=True
    ).select_related("assignment__course", "organization", "user")
    sent = 0
    for enrollment in due:
        subject = f"enrol:{enrollment.pk}"
        if Reminder.objects.filter(
            subject=subject, user=enrollment.user, sent_at__gt=now - REMINDER_INTERVAL
        ).exists():
            continue
        course = enrollment.assignment.course
        url = settings.BASE_URL + reverse(
            "prevention:course_detail", args=[enrollment.organization.slug, course.pk]
        )
        overdue = enrollment.due_date < today
        with transaction.atomic():
            Reminder.objects.create(
                organization=enrollment.organization, subject=subject, user=enrollment.user, sent_at=now
            )
            state = "期限を過ぎています" if overdue else "期限が近づいています"
            body = (
                f"{enrollment.organization.name} の研修「{course.title}」の受講{state}"
                f"（期限 {enrollment.due_date:%Y年%m月%d日}）。\n\n"
                f"次のページで受講し、理解度テストに合格してください:\n{url}\n"
            )
            send_mail(f"[hikeshi] 研修「{course.title}」の受講のお願い", body, None, [enrollment.user.email])
        sent += 1
    return sent
