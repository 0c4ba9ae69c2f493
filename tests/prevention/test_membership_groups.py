"""Employment type and join date on memberships: set on invitation (page, action and CLI), edited on the member
page, and used to assign training to part-timers, students, job-offer holders or new hires."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from hikeshi.accounts.models import User
from hikeshi.audit.models import AuditEvent
from hikeshi.prevention.models import Assignment, Attempt, Course, Enrollment
from hikeshi.prevention.training_actions import do_assign, do_enrol_new_member, do_seed_courses
from hikeshi.tenancy.actions import do_accept_invitation, do_invite
from hikeshi.tenancy.models import Invitation, Membership, Role
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

TODAY = date(2027, 4, 10)


@pytest.fixture(autouse=True)
def _start_without_training(alpha: Tenant) -> None:
    Assignment.objects.all().delete()
    Attempt.objects.all().delete()


def _member(tenant: Tenant, name: str, **fields: Any) -> User:
    user = User.objects.create_user(f"{name}@{tenant.org.slug}.example", "x-password-123456")
    Membership.objects.create(user=user, organization=tenant.org, role=Role.EMPLOYEE, **fields)
    return user


def _course(tenant: Tenant) -> Course:
    do_seed_courses(tenant.org)
    return Course.objects.get(organization=tenant.org, content_id="employee")


def _enrolled(assignment: Assignment) -> set[str]:
    return set(Enrollment.objects.filter(assignment=assignment).values_list("user__email", flat=True))


def test_invitation_carries_employment_type_and_join_date_to_the_membership(alpha: Tenant) -> None:
    issued = do_invite(
        alpha.org,
        "newbie@alpha.example",
        role=Role.EMPLOYEE,
        department="店舗",
        employment_type="part_time",
        joined_on=date(2027, 4, 1),
        send_email=False,
    )
    user = User.objects.create_user("newbie@alpha.example", "x-password-123456")
    membership = do_accept_invitation(issued.invitation, user)
    assert (membership.department, membership.employment_type, membership.joined_on) == (
        "店舗",
        "part_time",
        date(2027, 4, 1),
    )
    with pytest.raises(ValidationError):
        do_invite(alpha.org, "x@alpha.example", employment_type="freelance", send_email=False)


def test_admin_invites_and_edits_employment_type_on_the_member_pages(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.admin)
    response = client.post(
        "/o/alpha/members/",
        {
            "email": "student@alpha.example",
            "role": Role.EMPLOYEE,
            "department": "",
            "employment_type": "offer_holder",
            "joined_on": "2027-04-01",
        },
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="student@alpha.example")
    assert (invitation.employment_type, invitation.joined_on) == ("offer_holder", date(2027, 4, 1))

    employee = Membership.objects.get(organization=alpha.org, user=alpha.employee)
    page = client.get(f"/o/alpha/members/{employee.pk}/").content.decode()
    assert 'name="employment_type"' in page and 'name="joined_on"' in page
    response = client.post(
        f"/o/alpha/members/{employee.pk}/",
        {
            "role": Role.EMPLOYEE,
            "department": "物流",
            "employment_type": "contract",
            "joined_on": "2027-03-15",
        },
    )
    assert response.status_code == 302
    employee.refresh_from_db()
    assert (employee.department, employee.employment_type, employee.joined_on) == (
        "物流",
        "contract",
        date(2027, 3, 15),
    )
    change = AuditEvent.objects.filter(
        object_type="tenancy.Membership", object_id=str(employee.pk), action="update"
    ).first()
    assert change is not None and "employment_type" in change.changes
    assert "契約・派遣" in client.get("/o/alpha/members/").content.decode()
    # An unknown value is refused by the form and changes nothing.
    client.post(f"/o/alpha/members/{employee.pk}/", {"role": Role.EMPLOYEE, "employment_type": "boss"})
    employee.refresh_from_db()
    assert employee.employment_type == "contract"


def test_cli_invite_takes_employment_type_and_join_date(alpha: Tenant) -> None:
    out = io.StringIO()
    call_command(
        "user",
        "invite",
        "--org",
        "alpha",
        "--email",
        "pt@alpha.example",
        "--employment-type",
        "part_time",
        "--joined-on",
        "2027-04-01",
        "--no-email",
        stdout=out,
    )
    assert "invited pt@alpha.example" in out.getvalue()
    invitation = Invitation.objects.get(email="pt@alpha.example")
    assert (invitation.employment_type, invitation.joined_on) == ("part_time", date(2027, 4, 1))


def test_assignment_by_employment_type_enrols_only_that_group(alpha: Tenant) -> None:
    part_timer = _member(alpha, "pt", employment_type="part_time")
    _member(alpha, "ft", employment_type="full_time")
    _member(alpha, "unknown")
    assignment = do_assign(
        _course(alpha), target="employment_type", employment_type="part_time", due_date=TODAY, today=TODAY
    )
    assert _enrolled(assignment) == {part_timer.email}
    assert assignment.target_label == "パート・アルバイト"
    with pytest.raises(ValidationError, match="雇用形態"):
        do_assign(_course(alpha), target="employment_type", employment_type="", due_date=TODAY)


def test_new_hires_are_those_who_joined_within_the_window(alpha: Tenant) -> None:
    recent = _member(alpha, "recent", joined_on=TODAY - timedelta(days=30))
    edge = _member(alpha, "edge", joined_on=TODAY - timedelta(days=90))
    starting = _member(alpha, "starting", joined_on=TODAY + timedelta(days=20))  # job-offer holder
    _member(alpha, "veteran", joined_on=TODAY - timedelta(days=91))
    _member(alpha, "no-date")  # without a join date nobody is a new hire
    assignment = do_assign(_course(alpha), target="new_hires", new_hire_days=90, due_date=TODAY, today=TODAY)
    assert _enrolled(assignment) == {recent.email, edge.email, starting.email}
    assert "90日以内" in assignment.target_label
    with pytest.raises(ValidationError):
        do_assign(_course(alpha), target="new_hires", new_hire_days=0, due_date=TODAY)


def test_on_joining_assignment_for_students_enrols_a_student_who_accepts_an_invitation(
    alpha: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    course = _course(alpha)
    assignment = do_assign(
        course, target="employment_type", employment_type="student", recurrence="on_joining", due_date=TODAY
    )
    issued = do_invite(alpha.org, "s1@alpha.example", employment_type="student", send_email=False)
    other = do_invite(alpha.org, "f1@alpha.example", employment_type="full_time", send_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        do_accept_invitation(issued.invitation, User.objects.create_user("s1@alpha.example", "x-pw-1234567"))
        do_accept_invitation(other.invitation, User.objects.create_user("f1@alpha.example", "x-pw-1234567"))
    assert _enrolled(assignment) == {"s1@alpha.example"}
    membership = Membership.objects.get(user__email="s1@alpha.example")
    assert do_enrol_new_member(membership) == 0  # idempotent


def test_assign_form_offers_employment_type_and_new_hires(alpha: Tenant) -> None:
    pt = _member(alpha, "pt", employment_type="part_time")
    course = _course(alpha)
    client = Client()
    client.force_login(alpha.admin)
    page = client.get("/o/alpha/prevention/training/").content.decode()
    assert "新規入社・入学者" in page and 'name="employment_type"' in page and 'name="new_hire_days"' in page
    response = client.post(
        "/o/alpha/prevention/training/assign/",
        {
            "course": course.pk,
            "target": "employment_type",
            "employment_type": "part_time",
            "due_date": "2030-01-01",
            "recurrence": "once",
            "days_to_complete": 14,
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(organization=alpha.org)
    assert (assignment.target, assignment.employment_type) == ("employment_type", "part_time")
    assert _enrolled(assignment) == {pt.email}
