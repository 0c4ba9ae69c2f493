"""SNS利用実態調査: personal links (hashed tokens), one response per link, anonymous vs named storage, the
anonymity threshold on the page and in the CSV (with the complementary-group leak closed), charts, CSV safety."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from hikeshi.accounts.models import User
from hikeshi.audit.models import AuditEvent
from hikeshi.prevention.content import load_survey
from hikeshi.prevention.models import SurveyInvite, SurveyResponse, SurveyRun
from hikeshi.prevention.survey_actions import do_create_run, do_send_run, do_submit_response
from hikeshi.prevention.survey_results import csv_cell, results_csv, run_results
from hikeshi.tenancy.actions import hash_token
from hikeshi.tenancy.models import Membership, Organization, Role
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db


def _answers(**overrides: Any) -> dict[str, Any]:
    """A complete valid response to the employee survey."""
    survey = load_survey("employee")
    answers: dict[str, Any] = {}
    for q in survey.questions:
        if q.type == "multi":
            answers[q.id] = [q.options[0].id]
        elif q.type == "single":
            answers[q.id] = q.options[0].id
        elif q.type == "scale":
            assert q.scale is not None
            answers[q.id] = q.scale[0]
    answers.update(overrides)
    return answers


def _form(answers: dict[str, Any], employment_type: str = "part_time") -> dict[str, Any]:
    return {f"a_{k}": v for k, v in answers.items()} | {"employment_type": employment_type}


def _staff(org: Organization, department: str, count: int) -> list[User]:
    users = []
    for i in range(count):
        user = User.objects.create_user(f"{department}-{i}@{org.slug}.example", "x-password-123456")
        Membership.objects.create(user=user, organization=org, role=Role.EMPLOYEE, department=department)
        users.append(user)
    return users


def _respond_all(
    run: SurveyRun, users: list[User], employment_type: str = "part_time", **answers: Any
) -> None:
    for user in users:
        invite = SurveyInvite.objects.get(run=run, user=user)
        do_submit_response(invite, _answers(**answers), employment_type=employment_type)


def _token_from(body: str) -> str:
    match = re.search(r"/surveys/respond/([\w-]+)/", body)
    assert match
    return match.group(1)


def test_links_are_personal_hashed_and_answer_once(
    alpha: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    run = do_create_run(alpha.org, template_id="employee", anonymous=True, created_by=alpha.admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert do_send_run(run) == 3
    assert do_send_run(run) == 0  # sending again reaches only members not invited yet
    message = next(m for m in mail.outbox if m.to == ["employee@alpha.example"])
    token = _token_from(message.body)
    invite = SurveyInvite.objects.get(run=run, user=alpha.employee)
    assert invite.token_hash == hash_token(token) and token not in invite.token_hash
    url = f"/o/alpha/prevention/surveys/respond/{token}/"
    client = Client()
    client.force_login(alpha.member)  # someone else's link does not open
    assert client.get(url).status_code == 404
    client.force_login(alpha.employee)
    page = client.get(url).content.decode()
    assert "無記名" in page and 'name="a_platforms"' in page
    missing = client.post(url, {"employment_type": "part_time"}).content.decode()
    assert "この設問に答えてください" in missing and not SurveyResponse.objects.exists()
    bad = client.post(url, _form(_answers(real_name="nope"))).content.decode()
    assert "選択肢にない値です" in bad
    assert client.post(url, _form(_answers(wishes="研修で事例を知りたい"))).status_code == 302
    again = client.post(url, _form(_answers())).content.decode()  # the second answer is refused
    assert "回答済み" in again and SurveyResponse.objects.count() == 1
    response = SurveyResponse.objects.get()
    assert response.respondent is None and response.answers["wishes"] == "研修で事例を知りたい"
    invite.refresh_from_db()
    assert invite.responded
    # Neither the invite nor the response reaches the audit log, which would tie the answer to a person.
    assert not AuditEvent.objects.filter(
        object_type__in=["prevention.SurveyResponse", "prevention.SurveyInvite"]
    )


def test_named_runs_keep_the_respondent(alpha: Tenant) -> None:
    run = do_create_run(alpha.org, template_id="employee", anonymous=False, created_by=alpha.admin)
    do_send_run(run)
    _respond_all(run, [alpha.employee])
    assert SurveyResponse.objects.get().respondent == alpha.employee


def test_anonymous_results_hide_groups_under_five_everywhere(alpha: Tenant) -> None:
    run = do_create_run(alpha.org, template_id="employee", anonymous=True, created_by=alpha.admin)
    sales, shop = _staff(alpha.org, "営業部", 6), _staff(alpha.org, "店舗A", 3)
    do_send_run(run)
    _respond_all(run, sales[:4], employment_type="full_time")
    client = Client()
    client.force_login(alpha.admin)
    # Four respondents in all: nothing at all is shown, CSV included.
    assert 'data-testid="suppressed"' in client.get(f"/o/alpha/prevention/surveys/{run.pk}/").content.decode()
    rows = list(csv.reader(io.StringIO(results_csv(run_results(run)))))
    assert len(rows) == 2 and "5人未満" in rows[1][2]

    _respond_all(run, sales[4:], employment_type="full_time")
    _respond_all(run, shop, employment_type="part_time", real_name="anonymous")
    results = run_results(run)
    departments = {g.label: g.respondents for g in results.groups["department"]}
    employment = {g.label: g.respondents for g in results.groups["employment_type"]}
    # 店舗A (3) is hidden; hiding it alone would let 全体 − 営業部 reveal its answers, so 営業部 goes too.
    assert departments == {} and employment == {}
    assert results.hidden == {"department": 9, "employment_type": 9}

    shop_b = _staff(alpha.org, "店舗B", 2)
    do_send_run(run)
    _respond_all(run, shop_b, employment_type="part_time")
    results = run_results(run)
    # 店舗A (3) and 店舗B (2) are hidden, together 5: 営業部 may now be shown without giving them away.
    assert {g.label: g.respondents for g in results.groups["department"]} == {"営業部": 6}
    assert results.hidden["department"] == 5
    assert {g.label for g in results.groups["employment_type"]} == {"正社員・正職員", "パート・アルバイト"}
    page = client.get(f"/o/alpha/prevention/surveys/{run.pk}/").content.decode()
    assert "営業部" in page and "店舗A" not in page and "店舗B" not in page and "<svg" in page
    exported = client.get(f"/o/alpha/prevention/surveys/{run.pk}/export/")
    text = exported.content.decode("utf-8-sig")
    assert "営業部" in text and "店舗A" not in text and "店舗B" not in text
    assert "部署,営業部,6," in text and "全体,全体,11," in text
    assert AuditEvent.objects.filter(action="export", object_type="prevention.SurveyRun").count() == 1


def test_named_results_show_every_group(alpha: Tenant) -> None:
    run = do_create_run(alpha.org, template_id="employee", anonymous=False, created_by=alpha.admin)
    do_send_run(run)
    _respond_all(run, [alpha.employee])
    results = run_results(run)
    assert not results.suppressed and [g.respondents for g in results.groups["department"]] == [1]


def test_csv_cells_cannot_run_formulas(alpha: Tenant) -> None:
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_cell("@x") == "'@x"
    assert csv_cell("+1") == "'+1" and csv_cell("-1") == "'-1" and csv_cell("営業") == "営業"
    Membership.objects.filter(user=alpha.employee).update(department="=cmd|' /C calc'!A0")
    run = do_create_run(alpha.org, template_id="employee", anonymous=False, created_by=alpha.admin)
    do_send_run(run)
    _respond_all(run, [alpha.employee])
    rows = list(csv.reader(io.StringIO(results_csv(run_results(run)))))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert any(row[1] == "'=cmd|' /C calc'!A0" for row in rows)


def test_survey_list_queries_do_not_grow_with_runs(alpha: Tenant, django_assert_max_num_queries: Any) -> None:
    for _ in range(5):
        do_send_run(do_create_run(alpha.org, template_id="employee", anonymous=True, created_by=alpha.admin))
    client = Client()
    client.force_login(alpha.admin)
    client.get("/o/alpha/prevention/surveys/")
    with django_assert_max_num_queries(10):
        body = client.get("/o/alpha/prevention/surveys/").content.decode()
    assert body.count("0 / 3") == 6  # five new runs and the fixture's, each sent to 3 members


def test_survey_pages_are_for_admins(alpha: Tenant) -> None:
    run = do_create_run(alpha.org, template_id="employee", anonymous=True, created_by=alpha.admin)
    client = Client()
    client.force_login(alpha.employee)
    for url in (
        "/o/alpha/prevention/surveys/",
        f"/o/alpha/prevention/surveys/{run.pk}/",
        f"/o/alpha/prevention/surveys/{run.pk}/export/",
    ):
        assert client.get(url).status_code == 404
    client.force_login(alpha.admin)
    response = client.post(
        "/o/alpha/prevention/surveys/create/", {"template_id": "students", "anonymous": ""}
    )
    created = (
        SurveyRun.objects.for_org(alpha.org).exclude(pk=run.pk).exclude(pk=alpha.extra["survey_run"].pk).get()
    )
    assert response["Location"] == f"/o/alpha/prevention/surveys/{created.pk}/"
    assert not created.anonymous and created.title == load_survey("students").title
    assert client.post("/o/alpha/prevention/surveys/create/", {"template_id": "nope"}).status_code == 302
    assert SurveyRun.objects.for_org(alpha.org).count() == 3
