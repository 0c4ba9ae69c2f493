"""Objects of the alerts app for the cross-organisation isolation test, and its URL parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hikeshi.alerts.actions import do_raise_alert
from hikeshi.alerts.channel_actions import do_add_channel
from hikeshi.alerts.models import AlertRule, EscalationContact
from tests.alerts.helpers import DAYTIME, assessment
from tests.platform.conftest import Tenant


def make_objects(tenant: Tenant) -> None:
    channel = do_add_channel(
        tenant.org, name="ops", kind="webhook", config={"url": "https://hooks.example.com/x"}
    )
    contact = EscalationContact.objects.create(
        organization=tenant.org, level=2, order=1, name="当番", channel=channel
    )
    alert = do_raise_alert(
        tenant.org, story_key="topic:1", assessment=assessment(1), title="話題", now=DAYTIME
    )
    rule = AlertRule.objects.for_org(tenant.org).get(is_default=True)
    tenant.extra.update(alert_channel=channel, alert_contact=contact, alert=alert, alert_rule=rule)


PARAMS: dict[str, Callable[[Tenant], Any]] = {
    "alert_id": lambda t: t.extra["alert"].pk,
    "channel_id": lambda t: t.extra["alert_channel"].pk,
    "contact_id": lambda t: t.extra["alert_contact"].pk,
    "alert_rule_id": lambda t: t.extra["alert_rule"].pk,
}
