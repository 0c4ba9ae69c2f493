from __future__ import annotations

from django.test import Client

from hikeshi.alerts.actions import do_raise_alert
from hikeshi.alerts.models import AlertStatus, EventKind
from tests.alerts.helpers import DAYTIME, assessment
from tests.platform.conftest import Tenant


def test_list_get_and_acknowledge_with_a_token(alpha: Tenant) -> None:
    alert = do_raise_alert(
        alpha.org, story_key="org-surge", assessment=assessment(1), title="急増", now=DAYTIME
    )
    headers = {"Authorization": f"Bearer {alpha.token_secret}"}
    client = Client()
    listed = client.get("/api/v1/orgs/alpha/alerts", headers=headers).json()
    assert alert.pk in [row["id"] for row in listed]
    one = client.get(f"/api/v1/orgs/alpha/alerts/{alert.pk}", headers=headers).json()
    assert one["level_label"] == "注意" and one["first_posts"][0]["excerpt"]
    acked = client.post(f"/api/v1/orgs/alpha/alerts/{alert.pk}/ack", headers=headers).json()
    assert acked["status"] == AlertStatus.ACKNOWLEDGED
    assert alert.events.filter(kind=EventKind.ACKNOWLEDGED, detail__startswith="api token").exists()
