"""A real headless Chromium on a phone-sized screen: an organisation admin goes from an empty organisation to a
published guideline, an assigned starter course and a sent survey; an invited part-timer joins, acknowledges the
guideline (from their to-do list), passes the check test and downloads the certificate. Screenshots go to test-output/browser/."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from django.core import mail

from hikeshi.accounts.models import User
from hikeshi.prevention.content import load_course
from hikeshi.prevention.models import Acknowledgement, Attempt, Enrollment, SurveyInvite
from hikeshi.tenancy.actions import do_invite
from hikeshi.tenancy.models import Membership, Organization, Role
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-passphrase-1"


def _answer_every_question_correctly(page: Any) -> None:
    for q in load_course("employee").questions:
        if q.type in ("single", "multiple"):
            for option in q.correct:
                page.check(f"input[name=q_{q.id}][value={option}]")
        elif q.type == "true_false":
            page.check(f"input[name=q_{q.id}][value={'true' if q.answer else 'false'}]")
        else:
            page.check(f"input[name=q_{q.id}][value={q.answer}]")


def test_admin_sets_up_prevention_and_a_new_part_timer_completes_it(
    live_server: Any, browser: Any, page: Any
) -> None:
    org = Organization.objects.create(slug="sample-foods", name="株式会社サンプル食品")
    admin = User.objects.create_user("admin@sample.example", PASSWORD, display_name="総務 一郎")
    Membership.objects.create(user=admin, organization=org, role=Role.ORG_ADMIN)
    base = f"{live_server.url}/o/sample-foods/prevention"

    log_in(page, live_server.url, "admin@sample.example", PASSWORD)

    # An empty organisation: answer the questionnaire, then approve and publish the guideline.
    page.goto(f"{base}/policies/")
    assert "まだ文書がありません" in page.content()
    page.get_by_test_id("questionnaire").click()
    page.check("input[name=kind][value=company]")
    page.check("input[name=posters][value=part_time]")
    page.fill("input[name=pr_contact]", "総務部 広報担当（pr@sample.example）")
    screenshot(page, "prevention-01-questionnaire")
    page.get_by_test_id("generate").click()
    page.wait_for_url(f"{base}/policies/")
    page.click('main .card:has(h2:text-is("ガイドライン")) a:has-text("第1版")')
    page.get_by_test_id("approve").click()
    page.get_by_test_id("publish").click()
    assert page.get_by_test_id("state").inner_text() == "公開中"
    screenshot(page, "prevention-02-guideline-published")

    # Assign the starter course to the part-timers, also to those who join later.
    page.goto(f"{base}/training/")
    page.select_option("select[name=target]", "employment_type")
    page.select_option("select[name=employment_type]", "part_time")
    page.fill("input[name=due_date]", "2030-03-31")
    page.get_by_test_id("assign").click()
    assert "割り当てました" in page.content()
    assert page.get_by_test_id("assignment").count() == 1
    screenshot(page, "prevention-03-course-assigned")

    # Create the anonymous SNS-usage survey and send the links.
    page.goto(f"{base}/surveys/")
    page.get_by_test_id("create-survey").click()
    page.get_by_test_id("send-survey").click()
    assert "1人に回答用のリンクをメールで送りました" in page.content()
    assert SurveyInvite.objects.filter(run__organization=org).count() == 1
    assert any("/prevention/surveys/respond/" in m.body for m in mail.outbox)
    screenshot(page, "prevention-04-survey-sent")

    # A part-timer is invited and opens the link in their own browser.
    invitation = do_invite(
        org,
        "parttime@sample.example",
        role=Role.EMPLOYEE,
        department="店舗",
        employment_type="part_time",
        send_email=False,
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="ja-JP", accept_downloads=True
    )
    employee = context.new_page()
    employee.goto(live_server.url + urlparse(invitation.url).path)
    employee.fill("input[name=display_name]", "山田 花子")
    employee.fill("input[name=password1]", PASSWORD)
    employee.fill("input[name=password2]", PASSWORD)
    employee.click("main button[type=submit]")
    employee.wait_for_url(f"{live_server.url}/o/sample-foods/**")
    new_member = User.objects.get(email="parttime@sample.example")
    assert Enrollment.objects.filter(user=new_member).count() == 1  # the on-joining assignment reached them
    assert Membership.objects.get(user=new_member).employment_type == "part_time"

    # Their to-do list, from the 予防 navigation: the guideline to acknowledge and the course to take.
    employee.goto(f"{base}/")
    employee.get_by_test_id("nav-my-tasks").click()
    assert "ガイドライン" in employee.get_by_test_id("task-acknowledgements").inner_text()
    assert employee.get_by_test_id("task-training").locator("a").count() == 1
    screenshot(employee, "prevention-05-my-tasks")

    employee.goto(f"{base}/acknowledgements/")
    employee.check("input[name=agree]")
    employee.get_by_test_id("acknowledge").click()
    assert employee.get_by_test_id("no-pending").is_visible()
    assert Acknowledgement.objects.filter(user=new_member).count() == 1
    screenshot(employee, "prevention-06-acknowledged")

    employee.goto(f"{base}/training/")
    employee.get_by_test_id("enrollment").locator("a").click()
    screenshot(employee, "prevention-07-lessons")
    employee.get_by_test_id("start-test").click()
    _answer_every_question_correctly(employee)
    employee.get_by_test_id("submit-test").click()
    assert employee.get_by_test_id("passed").is_visible()
    assert employee.get_by_test_id("engine-feedback").count() >= 1
    screenshot(employee, "prevention-08-passed")
    with employee.expect_download() as download_info:
        employee.get_by_test_id("certificate").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert Attempt.objects.get(user=new_member).passed
    assert not Enrollment.objects.filter(user=new_member, completed_at__isnull=True).exists()
    context.close()
