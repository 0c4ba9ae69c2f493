"""Training: seeding, assignment to groups, on-joining enrolment, attempts and their limit, the engine's feedback
on "would you post this?" questions, certificates, privacy of results, reminders with a controllable clock,
yearly renewal, the dashboard and the CLI."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from hikeshi.accounts.models import User
from hikeshi.prevention.content import load_course
from hikeshi.prevention.models import Assignment, Attempt, Course, Enrollment
from hikeshi.prevention.training_actions import (
    do_assign,
    do_seed_courses,
    do_submit_attempt,
    renew_yearly_assignments,
    send_training_reminders,
)
from hikeshi.prevention.training_report import completion_by_department
from hikeshi.tenancy.models import Membership, Role
from tests.platform.conftest import Tenant
from tests.prevention.helpers import perfect_form_data, perfect_responses
from tests.prevention.pdftext import pdf_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _start_without_training(alpha: Tenant) -> None:
    """The shared tenant fixture assigns a course and passes one attempt (for the isolation test); these tests
    count enrolments and attempts from a clean slate."""
    Assignment.objects.all().delete()
    Attempt.objects.all().delete()
    mail.outbox.clear()


def _course(tenant: Tenant, content_id: str = "employee") -> Course:
    do_seed_courses(tenant.org)
    return Course.objects.get(organization=tenant.org, content_id=content_id)


def test_courses_are_seeded_once_and_schools_get_the_students_version_first(
    alpha: Tenant, beta: Tenant
) -> None:
    do_seed_courses(alpha.org)
    do_seed_courses(alpha.org)
    assert Course.objects.filter(organization=alpha.org).count() == 2
    beta.org.kind = "school"
    beta.org.save()
    client = Client()
    client.force_login(beta.admin)
    body = client.get("/o/beta/prevention/training/").content.decode()
    body = body[body.index("講座一覧") :]
    school = load_course("school").title
    assert body.index(school) < body.index(load_course("employee").title)


def test_assignment_by_role_and_department_enrols_the_right_members(alpha: Tenant) -> None:
    course = _course(alpha)
    Membership.objects.filter(user=alpha.employee).update(department="店舗")
    due = date(2030, 4, 30)
    by_role = do_assign(course, target="role", role=Role.EMPLOYEE, due_date=due)
    assert [e.user for e in by_role.enrollments.all()] == [alpha.employee]
    by_dept = do_assign(course, target="department", department="店舗", due_date=due)
    assert [e.user for e in by_dept.enrollments.all()] == [alpha.employee]
    everyone = do_assign(course, target="all", due_date=due)
    assert everyone.enrollments.count() == 3
    with pytest.raises(ValidationError):
        do_assign(course, target="department", department=" ", due_date=due)
    with pytest.raises(ValidationError):
        do_assign(course, target="role", role="nobody", due_date=due)


def test_a_new_member_gets_the_on_joining_assignments(alpha: Tenant) -> None:
    course = _course(alpha)
    on_joining = do_assign(
        course,
        target="role",
        role=Role.EMPLOYEE,
        due_date=date(2030, 1, 1),
        recurrence="on_joining",
        days_to_complete=10,
    )
    do_assign(course, target="all", due_date=date(2030, 1, 1))  # once: not for later joiners
    newcomer = User.objects.create_user("new-hire@alpha.example", "x-password-123456")
    Membership.objects.create(user=newcomer, organization=alpha.org, role=Role.EMPLOYEE)
    enrollments = list(Enrollment.objects.filter(user=newcomer))
    assert [e.assignment for e in enrollments] == [on_joining]
    assert enrollments[0].due_date == timezone.localdate() + timedelta(days=10)
    staff = User.objects.create_user("new-staff@alpha.example", "x-password-123456")
    Membership.objects.create(user=staff, organization=alpha.org, role=Role.ORG_MEMBER)
    assert not Enrollment.objects.filter(user=staff).exists()  # not targeted by the role


def test_employee_passes_the_test_in_the_browser_flow_and_gets_a_certificate(alpha: Tenant) -> None:
    course = _course(alpha)
    do_assign(course, target="all", due_date=date(2030, 1, 1))
    client = Client()
    client.force_login(alpha.employee)
    assert course.title in client.get("/o/alpha/prevention/training/").content.decode()
    lessons = client.get(f"/o/alpha/prevention/training/courses/{course.pk}/").content.decode()
    assert "事例1" in lessons and "<strong>ポイント</strong>" in lessons
    test_page = client.get(f"/o/alpha/prevention/training/courses/{course.pk}/test/").content.decode()
    assert 'name="q_e04"' in test_page and "correct" not in test_page  # answers never sent before grading
    course_content = load_course("employee")
    response = client.post(
        f"/o/alpha/prevention/training/courses/{course.pk}/test/", perfect_form_data(course_content)
    )
    attempt = Attempt.objects.get(user=alpha.employee)
    assert response["Location"] == f"/o/alpha/prevention/training/attempts/{attempt.pk}/"
    assert attempt.passed and attempt.score == 100 and attempt.number == 1
    assert not Enrollment.objects.filter(user=alpha.employee, completed_at__isnull=True).exists()
    result = client.get(response["Location"]).content.decode()
    post_or_not = sum(1 for q in course_content.questions if q.type == "post_or_not")
    assert result.count('data-testid="engine-feedback"') == post_or_not
    pdf = client.get(f"/o/alpha/prevention/training/attempts/{attempt.pk}/certificate/")
    assert pdf["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1
    text = pdf_text(pdf.content)
    # The title may wrap onto two lines; the words must come through glyph for glyph.
    assert "修 了 証" in text and "employee@alpha.example　殿" in text and "理解度テストに100点" in text
    assert "".join(text.split()).count("".join(course.title.split())) == 1


def test_a_failed_attempt_has_no_certificate_and_attempts_are_limited(alpha: Tenant) -> None:
    course = _course(alpha)
    client = Client()
    client.force_login(alpha.member)
    for number in range(1, course.max_attempts + 1):
        response = client.post(f"/o/alpha/prevention/training/courses/{course.pk}/test/", {"q_e01": "true"})
        attempt = Attempt.objects.get(user=alpha.member, number=number)
        assert not attempt.passed and attempt.score < course.pass_mark
    assert client.get(f"/o/alpha/prevention/training/attempts/{attempt.pk}/certificate/").status_code == 400
    response = client.post(f"/o/alpha/prevention/training/courses/{course.pk}/test/", {"q_e01": "false"})
    assert response.status_code == 302
    assert Attempt.objects.filter(user=alpha.member).count() == course.max_attempts
    with pytest.raises(ValidationError):
        do_submit_attempt(course, alpha.member, {})


def test_an_employee_never_sees_another_employees_attempts(alpha: Tenant) -> None:
    course = _course(alpha)
    colleague = User.objects.create_user("colleague@alpha.example", "x-password-123456")
    Membership.objects.create(user=colleague, organization=alpha.org, role=Role.EMPLOYEE)
    theirs = do_submit_attempt(course, colleague, {"e01": False}).attempt
    client = Client()
    client.force_login(alpha.employee)
    for url in (
        f"/o/alpha/prevention/training/attempts/{theirs.pk}/",
        f"/o/alpha/prevention/training/attempts/{theirs.pk}/certificate/",
        "/o/alpha/prevention/training/dashboard/",
    ):
        assert client.get(url).status_code == 404, url
    assert "colleague@alpha.example" not in client.get("/o/alpha/prevention/training/").content.decode()
    client.force_login(alpha.admin)  # admins follow up on everyone's results
    assert (
        "colleague@alpha.example"
        in client.get(f"/o/alpha/prevention/training/attempts/{theirs.pk}/").content.decode()
    )


def test_reminders_before_the_due_date_once_per_interval(alpha: Tenant) -> None:
    course = _course(alpha)
    do_assign(course, target="all", due_date=date(2030, 6, 10))
    do_submit_attempt(course, alpha.admin, perfect_responses(course))
    at = timezone.make_aware(datetime(2030, 6, 1, 9))
    assert send_training_reminders(at) == 0  # more than 3 days before the due date
    at = timezone.make_aware(datetime(2030, 6, 8, 9))
    assert send_training_reminders(at) == 2  # member and employee; the admin has passed
    assert sorted(m.to[0] for m in mail.outbox) == ["employee@alpha.example", "member@alpha.example"]
    assert f"/o/alpha/prevention/training/courses/{course.pk}/" in mail.outbox[0].body
    assert send_training_reminders(at + timedelta(hours=2)) == 0  # a redelivered run sends nothing
    assert send_training_reminders(at + timedelta(days=8)) == 2  # overdue: reminded again a week later
    assert "期限を過ぎています" in mail.outbox[-1].body


def test_yearly_assignments_renew_and_count_again(alpha: Tenant) -> None:
    course = _course(alpha)
    yearly = do_assign(course, target="all", due_date=date(2030, 3, 31), recurrence="yearly")
    do_submit_attempt(course, alpha.employee, perfect_responses(course))
    assert renew_yearly_assignments(date(2030, 3, 31)) == 0
    assert renew_yearly_assignments(date(2030, 4, 1)) == 1
    assert renew_yearly_assignments(date(2030, 4, 2)) == 0  # once per due date
    yearly.refresh_from_db()
    assert (yearly.cycle, yearly.due_date) == (2, date(2031, 3, 31))
    assert Enrollment.objects.filter(assignment=yearly, cycle=2, completed_at__isnull=True).count() == 3
    rows = completion_by_department(alpha.org, date(2030, 4, 2))
    assert [(r.enrolled, r.completed) for r in rows] == [(3, 0)]


def test_a_yearly_deadline_on_29_february_moves_to_28_february(alpha: Tenant) -> None:
    yearly = do_assign(_course(alpha), target="all", due_date=date(2028, 2, 29), recurrence="yearly")
    renew_yearly_assignments(date(2028, 3, 1))
    yearly.refresh_from_db()
    assert yearly.due_date == date(2029, 2, 28)


def test_training_page_queries_do_not_grow_with_assignments(
    alpha: Tenant, django_assert_max_num_queries: Any
) -> None:
    course = _course(alpha)
    for month in range(1, 7):
        do_assign(course, target="all", due_date=date(2030, month, 1))
        do_submit_attempt(course, alpha.admin, {})  # a failed attempt for the results table...
        # ...dated before the enrolments, so it does not use up this year's attempts.
        Attempt.objects.filter(user=alpha.admin).update(submitted_at=timezone.now() - timedelta(days=400))
    client = Client()
    client.force_login(alpha.admin)
    client.get("/o/alpha/prevention/training/")
    with django_assert_max_num_queries(14):
        body = client.get("/o/alpha/prevention/training/").content.decode()
    assert body.count('data-testid="assignment"') == 6 and body.count('data-testid="enrollment"') == 6


def test_dashboard_per_department_and_cli_report(alpha: Tenant, django_assert_max_num_queries: Any) -> None:
    course = _course(alpha)
    Membership.objects.filter(user=alpha.employee).update(department="店舗")
    Membership.objects.filter(user=alpha.member).update(department="店舗")
    do_assign(course, target="all", due_date=date(2020, 1, 1))
    do_assign(course, target="department", department="店舗", due_date=date(2030, 1, 1))
    do_submit_attempt(course, alpha.employee, perfect_responses(course))
    client = Client()
    client.force_login(alpha.admin)
    client.get("/o/alpha/prevention/training/dashboard/")
    with django_assert_max_num_queries(10):
        body = client.get("/o/alpha/prevention/training/dashboard/").content.decode()
    assert "店舗" in body and "50%" in body
    rows = {r.department: r for r in completion_by_department(alpha.org, timezone.localdate())}
    assert (rows["店舗"].enrolled, rows["店舗"].completed, rows["店舗"].overdue) == (2, 1, 1)
    assert (rows["（部署なし）"].enrolled, rows["（部署なし）"].completed) == (1, 0)
    out = io.StringIO()
    call_command("training", "report", "--org", "alpha", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert {r["department"]: r["rate"] for r in report["rows"]} == {"（部署なし）": 0, "店舗": 50}
    out = io.StringIO()
    call_command("training", "report", "--org", "alpha", stdout=out)
    assert "店舗\t2\t1\t1\t50%" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="organisation not found"):
        call_command("training", "report", "--org", "nope")


def test_assign_page_for_admins_only(alpha: Tenant) -> None:
    course = _course(alpha)
    client = Client()
    client.force_login(alpha.employee)
    data = {
        "course": course.pk,
        "target": "all",
        "due_date": "2030-01-01",
        "recurrence": "once",
        "days_to_complete": 14,
    }
    assert client.post("/o/alpha/prevention/training/assign/", data).status_code == 404
    client.force_login(alpha.admin)
    assert client.post("/o/alpha/prevention/training/assign/", data).status_code == 302
    assert Assignment.objects.filter(course=course).count() == 1
    bad = client.post("/o/alpha/prevention/training/assign/", data | {"target": "department"}, follow=True)
    assert "対象の部署を入力してください" in bad.content.decode()
