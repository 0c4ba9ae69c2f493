from __future__ import annotations

import pytest
from django.test import Client

from hikeshi.audit.models import AuditAction, AuditEvent
from hikeshi.response.models import Incident
from tests.platform.conftest import PASSWORD, Tenant

pytestmark = pytest.mark.django_db


def test_create_update_delete_are_recorded_with_actor_and_diff(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.admin)
    client.post("/o/alpha/response/", {"title": "異物混入の投稿", "level": 2, "summary": ""})
    incident = Incident.objects.get(title="異物混入の投稿")
    created = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="response.Incident", object_id=incident.pk
    )
    assert created.organization == alpha.org and created.actor == alpha.admin
    client.post(f"/o/alpha/response/incidents/{incident.pk}/update/", {"level": 3})
    updated = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=incident.pk).first()
    assert updated is not None and updated.changes == {"level": [2, 3]}
    incident_id = incident.pk
    incident.delete()
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_id=str(incident_id)).exists()


def test_logins_and_failures_are_recorded(alpha: Tenant) -> None:
    client = Client()
    client.post("/accounts/login/", {"email": alpha.member.email, "password": "nope-nope-nope"})
    client.post("/accounts/login/", {"email": alpha.member.email, "password": PASSWORD})
    actions = list(AuditEvent.objects.filter(object_repr=alpha.member.email).values_list("action", flat=True))
    assert AuditAction.LOGIN in actions and AuditAction.LOGIN_FAILED in actions


def test_admin_reads_own_log_only(alpha: Tenant, beta: Tenant) -> None:
    client = Client()
    client.force_login(alpha.admin)
    page = client.get("/o/alpha/audit/").content.decode()
    assert alpha.incident.title in page
    assert beta.incident.title not in page
    partial = client.get("/o/alpha/audit/", {"action": "create"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()


def test_members_cannot_read_the_log(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.member)
    assert client.get("/o/alpha/audit/").status_code == 404


def test_export_is_recorded_and_neutralises_formulas(alpha: Tenant) -> None:
    alpha.incident.title = "=HYPERLINK(1)"
    alpha.incident.save()
    client = Client()
    client.force_login(alpha.admin)
    response = client.get("/o/alpha/audit/export.csv")
    body = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK(1)" in body and ",=HYPERLINK" not in body
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, organization=alpha.org, actor=alpha.admin
    ).exists()


def test_outsider_sees_no_organisation(alpha: Tenant, outsider: object) -> None:
    client = Client()
    client.force_login(outsider)  # type: ignore[arg-type]
    for path in ("/o/alpha/", "/o/alpha/prevention/", "/o/alpha/audit/export.csv"):
        assert client.get(path).status_code == 404, path
    assert alpha.org.name not in client.get("/orgs/").content.decode()
