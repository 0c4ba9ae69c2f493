"""Survey reminders with a controllable clock (grace, interval, cap, stop on answer or close), the member's
answer page reached without the e-mailed token, and the "my tasks" page listing only the member's own work."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from hikeshi.prevention.models import Assignment, SurveyInvite, SurveyResponse, SurveyRun
from hikeshi.prevention.survey_actions import (
    do_close_run,
    do_create_run,
    do_send_run,
    do_submit_response,
    send_survey_reminders,
)
from hikeshi.prevention.tasks import send_survey_reminders as survey_reminder_task
from hikeshi.prevention.training_actions import do_assign, do_seed_courses
from hikeshi.tenancy.models import Membership
from tests.platform.conftest import Tenant
from tests.prevention.helpers import publish_all
from tests.prevention.test_survey import _answers, _form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_this_tests_runs(alpha: Tenant) -> None:
    """The shared tenant fixture sends one survey and assigns a course (for the isolation test); start clean."""
    SurveyRun.objects.all().delete()
    Assignment.objects.all().delete()
    mail.outbox.clear()


def _sent_run(tenant: Tenant, **kwargs: Any) -> SurveyRun:
    run = do_create_run(tenant.org, template_id="employee", anonymous=True, created_by=tenant.admin, **kwargs)
    do_send_run(run)
    run.refresh_from_db()
    mail.outbox.clear()
    return run


def test_reminders_follow_the_clock_once_per_interval_at_most_three(alpha: Tenant) -> None:
    run = _sent_run(alpha)
    sent_at = run.sent_at
    assert sent_at is not None
    do_submit_response(
        SurveyInvite.objects.get(run=run, user=alpha.member), _answers(), employment_type="other"
    )
    assert send_survey_reminders(sent_at + timedelta(days=2)) == 0  # grace period
    day3 = sent_at + timedelta(days=3)
    assert send_survey_reminders(day3) == 2  # admin and employee; the member has answered
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@alpha.example", "employee@alpha.example"]
    message = mail.outbox[0]
    assert run.title in message.subject
    assert f"/o/alpha/prevention/surveys/{run.pk}/answer/" in message.body
    assert (
        "/surveys/respond/" not in message.body
    )  # the personal token is never re-sent (only its hash is kept)
    assert send_survey_reminders(day3 + timedelta(hours=1)) == 0  # a redelivered run sends nothing
    assert send_survey_reminders(day3 + timedelta(days=6)) == 0
    assert send_survey_reminders(day3 + timedelta(days=7)) == 2
    do_submit_response(
        SurveyInvite.objects.get(run=run, user=alpha.employee), _answers(), employment_type="other"
    )
    assert send_survey_reminders(day3 + timedelta(days=14)) == 1  # only the admin is left
    assert send_survey_reminders(day3 + timedelta(days=21)) == 0  # three reminders in all, then no more
    assert [m.to[0] for m in mail.outbox].count("admin@alpha.example") == 3


def test_no_reminders_once_the_run_is_closed_and_late_invites_wait_their_own_grace(alpha: Tenant) -> None:
    run = _sent_run(alpha)
    assert run.sent_at is not None
    later = run.sent_at + timedelta(days=10)
    newcomer = Membership.objects.create(
        user=type(alpha.admin).objects.create_user("late@alpha.example", "x-password-123456"),
        organization=alpha.org,
        role="employee",
    )
    do_send_run(run)
    SurveyInvite.objects.filter(run=run, user=newcomer.user).update(invited_at=later)
    # On day 11 the first three are due; the newcomer, invited on day 10, is still in their grace period.
    assert send_survey_reminders(later + timedelta(days=1)) == 3
    assert "late@alpha.example" not in [m.to[0] for m in mail.outbox]
    do_close_run(run)
    assert send_survey_reminders(later + timedelta(days=30)) == 0


def test_reminder_task_runs(alpha: Tenant) -> None:
    _sent_run(alpha)
    # The task reads the real clock: just sent, everyone is still in the grace period.
    assert survey_reminder_task.apply().get() == 0


def test_answer_page_works_for_the_invited_member_only(alpha: Tenant, beta: Tenant) -> None:
    run = _sent_run(alpha)
    Membership.objects.filter(user=alpha.employee).update(employment_type="part_time")
    client = Client()
    client.force_login(alpha.employee)
    url = f"/o/alpha/prevention/surveys/{run.pk}/answer/"
    page = client.get(url).content.decode()
    # The membership's employment type is preselected; the member may still change it.
    assert re.search(r'value="part_time" checked', page)
    response = client.post(url, _form(_answers(), employment_type="part_time"))
    assert response.status_code == 302 and response["Location"] == url
    assert SurveyResponse.objects.filter(run=run, employment_type="part_time", respondent=None).count() == 1
    assert "回答済み" in client.get(url).content.decode()
    # Not invited (another organisation's member), or another organisation's run: 404.
    client.force_login(beta.employee)
    assert client.get(url).status_code == 404
    beta_run = _sent_run(beta)
    client.force_login(alpha.employee)
    assert client.get(f"/o/alpha/prevention/surveys/{beta_run.pk}/answer/").status_code == 404


def test_my_tasks_lists_own_acknowledgements_training_and_surveys(alpha: Tenant) -> None:
    publish_all(alpha.org, alpha.admin)
    course = do_seed_courses(alpha.org)[0]
    do_assign(course, target="role", role="employee", due_date=date(2020, 1, 1))
    run = _sent_run(alpha, title="2027年度 SNS利用実態調査")
    client = Client()
    client.force_login(alpha.employee)
    page = client.get("/o/alpha/prevention/tasks/").content.decode()
    assert "ソーシャルメディアポリシー" in page and "ガイドライン" in page
    assert course.title in page and "期限切れ" in page
    assert "2027年度 SNS利用実態調査" in page and f"/surveys/{run.pk}/answer/" in page
    assert 'data-testid="nav-my-tasks"' in client.get("/o/alpha/prevention/").content.decode()

    # The member (not assigned the course) sees the survey but no training; after answering, no survey.
    client.force_login(alpha.member)
    do_submit_response(
        SurveyInvite.objects.get(run=run, user=alpha.member), _answers(), employment_type="other"
    )
    page = client.get("/o/alpha/prevention/tasks/").content.decode()
    assert course.title not in page and "2027年度 SNS利用実態調査" not in page

    # Once the run is closed it leaves everyone's list.
    do_close_run(run)
    client.force_login(alpha.employee)
    assert "2027年度 SNS利用実態調査" not in client.get("/o/alpha/prevention/tasks/").content.decode()
