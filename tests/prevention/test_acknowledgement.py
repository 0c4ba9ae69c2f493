"""同意: per person and per version (a new version asks again), reminders with a controllable clock, admin view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from hikeshi.prevention.models import Acknowledgement
from hikeshi.prevention.policy_actions import (
    do_acknowledge,
    do_approve,
    do_generate_documents,
    do_publish,
    pending_acknowledgements,
    send_acknowledgement_reminders,
)
from hikeshi.prevention.tasks import send_acknowledgement_reminders as reminder_task
from tests.platform.conftest import Tenant
from tests.prevention.helpers import company_answers, publish_all

pytestmark = pytest.mark.django_db


def test_employee_acknowledges_and_a_new_version_asks_again(alpha: Tenant) -> None:
    published = publish_all(alpha.org, alpha.admin)
    client = Client()
    client.force_login(alpha.employee)
    page = client.get("/o/alpha/prevention/acknowledgements/").content.decode()
    assert published["guideline"].title in page and published["policy"].title in page
    assert published["manual"].title not in page  # the manual is for the crisis team, not acknowledged by all
    client.post(
        "/o/alpha/prevention/acknowledgements/", {"version_id": published["guideline"].pk, "agree": "1"}
    )
    assert [v.document.doc for v in pending_acknowledgements(alpha.org, alpha.employee)] == ["policy"]
    # Ticking the box is required.
    client.post("/o/alpha/prevention/acknowledgements/", {"version_id": published["policy"].pk})
    assert Acknowledgement.objects.filter(user=alpha.employee).count() == 1

    draft = do_generate_documents(alpha.org, company_answers(), created_by=alpha.admin)["guideline"]
    second = do_publish(do_approve(draft, approved_by=alpha.admin))
    pending = [v.pk for v in pending_acknowledgements(alpha.org, alpha.employee)]
    assert second.pk in pending and published["guideline"].pk not in pending
    do_acknowledge(second, alpha.employee)
    do_acknowledge(second, alpha.employee)  # twice is once
    assert Acknowledgement.objects.filter(user=alpha.employee, version=second).count() == 1


def test_cannot_acknowledge_another_organisations_version(alpha: Tenant, beta: Tenant) -> None:
    beta_guideline = publish_all(beta.org, beta.admin)["guideline"]
    client = Client()
    client.force_login(alpha.employee)
    response = client.post(
        "/o/alpha/prevention/acknowledgements/", {"version_id": beta_guideline.pk, "agree": "1"}
    )
    assert response.status_code == 404
    assert not Acknowledgement.objects.exists()


def test_reminders_follow_the_clock_and_are_sent_once_per_interval(alpha: Tenant) -> None:
    published = publish_all(alpha.org, alpha.admin)
    do_acknowledge(published["guideline"], alpha.employee)
    published_at = published["guideline"].published_at
    assert published_at is not None
    assert send_acknowledgement_reminders(published_at + timedelta(days=1)) == 0  # grace period
    day3 = published_at + timedelta(days=3)
    # 3 members x 2 documents, minus the employee's guideline acknowledgement.
    assert send_acknowledgement_reminders(day3) == 5
    recipients = sorted(m.to[0] for m in mail.outbox if "ガイドライン" in m.subject)
    assert recipients == ["admin@alpha.example", "member@alpha.example"]
    assert "/o/alpha/prevention/acknowledgements/" in mail.outbox[0].body
    assert send_acknowledgement_reminders(day3 + timedelta(hours=1)) == 0  # a redelivered run sends nothing
    do_acknowledge(published["policy"], alpha.member)
    assert send_acknowledgement_reminders(day3 + timedelta(days=8)) == 4


def test_reminder_task_runs(alpha: Tenant) -> None:
    publish_all(alpha.org, alpha.admin)
    # The task reads the real clock: just published, everyone is still in the grace period.
    assert reminder_task.apply().get() == 0


def test_admin_sees_who_has_and_has_not_acknowledged(
    alpha: Tenant, django_assert_max_num_queries: Any
) -> None:
    published = publish_all(alpha.org, alpha.admin)
    do_acknowledge(published["guideline"], alpha.employee)
    client = Client()
    client.force_login(alpha.admin)
    client.get("/o/alpha/prevention/acknowledgements/status/")  # warm the session
    with django_assert_max_num_queries(12):
        body = client.get("/o/alpha/prevention/acknowledgements/status/").content.decode()
    assert "1 / 3 人が同意済み" in body and "未同意" in body
    client.force_login(alpha.employee)
    assert client.get("/o/alpha/prevention/acknowledgements/status/").status_code == 404
