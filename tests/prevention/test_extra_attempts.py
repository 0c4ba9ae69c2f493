"""An admin grants one more attempt to a member who used theirs up: audited, only then, only by admins, listed
on the dashboard, and counted like attempts (a renewal starts afresh)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from hikeshi.audit.models import AuditEvent
from hikeshi.prevention.models import Assignment, Attempt, AttemptGrant, Course
from hikeshi.prevention.training_actions import (
    attempts_left,
    do_assign,
    do_grant_attempt,
    do_seed_courses,
    do_submit_attempt,
)
from tests.platform.conftest import Tenant
from tests.prevention.helpers import perfect_responses

pytestmark = pytest.mark.django_db

WRONG = {"e01": False}


@pytest.fixture(autouse=True)
def _start_without_training(alpha: Tenant) -> None:
    Assignment.objects.all().delete()
    Attempt.objects.all().delete()


def _used_up(tenant: Tenant) -> tuple[Course, Attempt]:
    do_seed_courses(tenant.org)
    course = Course.objects.get(organization=tenant.org, content_id="employee")
    do_assign(course, target="all", due_date=date(2030, 1, 1))
    for _ in range(course.max_attempts):
        last = do_submit_attempt(course, tenant.employee, WRONG).attempt
    assert attempts_left(course, tenant.employee) == 0
    return course, last


def test_admin_grants_one_more_attempt_from_the_result_page(alpha: Tenant) -> None:
    course, last = _used_up(alpha)
    client = Client()
    client.force_login(alpha.admin)
    page = client.get(f"/o/alpha/prevention/training/attempts/{last.pk}/").content.decode()
    assert 'data-testid="grant-attempt"' in page
    dashboard = client.get("/o/alpha/prevention/training/dashboard/").content.decode()
    assert "employee@alpha.example" in dashboard and f"/training/attempts/{last.pk}/" in dashboard

    response = client.post(f"/o/alpha/prevention/training/attempts/{last.pk}/grant/")
    assert response.status_code == 302
    assert attempts_left(course, alpha.employee) == 1
    grant = AttemptGrant.objects.get()
    assert (grant.user, grant.granted_by, grant.extra) == (alpha.employee, alpha.admin, 1)
    event = AuditEvent.objects.get(object_type="prevention.AttemptGrant", action="create")
    assert event.organization == alpha.org and event.actor == alpha.admin
    dashboard = client.get("/o/alpha/prevention/training/dashboard/").content.decode()
    assert f"/training/attempts/{last.pk}/" not in dashboard

    # Granting again while an attempt is left is refused; the member uses it and passes.
    client.post(f"/o/alpha/prevention/training/attempts/{last.pk}/grant/")
    assert AttemptGrant.objects.count() == 1
    assert do_submit_attempt(course, alpha.employee, perfect_responses(course)).attempt.passed
    with pytest.raises(ValidationError):
        do_grant_attempt(course, alpha.employee, granted_by=alpha.admin)


def test_only_admins_grant_and_only_in_their_organisation(alpha: Tenant, beta: Tenant) -> None:
    _course, last = _used_up(alpha)
    client = Client()
    for user in (alpha.employee, alpha.member, beta.admin):
        client.force_login(user)
        assert client.post(f"/o/alpha/prevention/training/attempts/{last.pk}/grant/").status_code == 404
    client.force_login(beta.admin)
    assert client.post(f"/o/beta/prevention/training/attempts/{last.pk}/grant/").status_code == 404
    assert not AttemptGrant.objects.exists()


def test_grants_count_from_the_open_enrolment_like_attempts(alpha: Tenant) -> None:
    course, _last = _used_up(alpha)
    do_grant_attempt(course, alpha.employee, granted_by=alpha.admin, now=timezone.now() - timedelta(days=400))
    # A grant older than the member's open enrolment belongs to an earlier cycle and adds nothing now.
    assert attempts_left(course, alpha.employee) == 0
    with pytest.raises(ValidationError, match="1〜5"):
        do_grant_attempt(course, alpha.employee, granted_by=alpha.admin, extra=9)
    do_grant_attempt(course, alpha.employee, granted_by=alpha.admin, extra=2)
    assert attempts_left(course, alpha.employee) == 2
