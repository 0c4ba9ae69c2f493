"""体制: role holders with contacts and deputies; admins edit, staff read, employees and other organisations
see nothing; the escalation chain is linked to the alerts settings, not copied."""

from __future__ import annotations

import pytest
from django.test import Client

from hikeshi.audit.models import AuditEvent
from hikeshi.prevention.models import RiskRole
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

URL = "/o/alpha/prevention/structure/"


def test_admin_adds_edits_and_deletes_role_holders(alpha: Tenant) -> None:
    RiskRole.objects.all().delete()
    client = Client()
    client.force_login(alpha.admin)
    page = client.get(URL).content.decode()
    assert "責任者、広報、法務、人事、現場責任者" in page
    assert 'href="/o/alpha/settings/escalation/"' in page
    data = {
        "role": "pr",
        "person_name": "広報 花子",
        "department": "広報部",
        "phone": "03-1234-5678",
        "email": "pr@alpha.example",
        "deputy": "広報 次郎",
        "deputy_phone": "090-0000-0000",
    }
    assert client.post(URL, data).status_code == 302
    role = RiskRole.objects.get(organization=alpha.org)
    assert (role.person_name, role.deputy) == ("広報 花子", "広報 次郎")
    assert AuditEvent.objects.filter(object_type="prevention.RiskRole", action="create").exists()
    page = client.get(URL).content.decode()
    assert 'href="tel:03-1234-5678"' in page and "広報 次郎" in page and "広報、" not in page
    bad = client.post(URL, data | {"email": "not-an-address", "person_name": ""}).content.decode()
    assert "errorlist" in bad and RiskRole.objects.count() == 1
    edit = f"/o/alpha/prevention/structure/{role.pk}/"
    assert client.post(edit, data | {"person_name": "広報 三郎"}).status_code == 302
    role.refresh_from_db()
    assert role.person_name == "広報 三郎"
    assert client.post(edit + "delete/").status_code == 302
    assert not RiskRole.objects.exists()


def test_staff_read_employees_and_other_organisations_cannot(alpha: Tenant, beta: Tenant) -> None:
    role = RiskRole.objects.create(
        organization=alpha.org, role="lead", person_name="社長 太郎", phone="03-0000"
    )
    client = Client()
    client.force_login(alpha.member)
    page = client.get(URL).content.decode()
    assert "社長 太郎" in page and "escalation-link" not in page  # the escalation settings are admins' only
    assert client.post(URL, {"role": "hr", "person_name": "x"}).status_code == 403
    assert client.get(f"/o/alpha/prevention/structure/{role.pk}/").status_code == 404
    client.force_login(alpha.employee)
    assert client.get(URL).status_code == 404
    client.force_login(beta.admin)
    assert client.get(f"/o/beta/prevention/structure/{role.pk}/").status_code == 404
    assert "社長 太郎" not in client.get("/o/beta/prevention/structure/").content.decode()
