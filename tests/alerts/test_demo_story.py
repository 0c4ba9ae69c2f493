"""The issue's "done when": the demo's spreading story, replayed through the monitoring pipeline, raises
one alert that grows with the story, reach a local webhook receiver and a local SMTP server, escalate to the
next contact when nobody acknowledges, and stop escalating when acknowledged through the link."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from hikeshi.alerts.channel_actions import do_add_channel
from hikeshi.alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from hikeshi.alerts.models import Alert, AlertStatus, EscalationContact, EventKind, Notification
from hikeshi.alerts.sweeps import escalate_due
from hikeshi.monitoring.demo import seed_monitoring_demo
from hikeshi.monitoring.models import Topic
from tests.alerts.conftest import Mailbox
from tests.alerts.fakeapi import FakeAPI
from tests.alerts.helpers import deliver_pending
from tests.platform.conftest import Tenant


def _last_evening() -> datetime:
    """The latest 18:00 JST in the past: the story's last hours fall in the working day (outside the default
    quiet hours), and the acknowledge links made at that time are still within their validity now."""
    now = datetime.now(UTC)
    evening = now.replace(hour=9, minute=0, second=0, microsecond=0)
    return evening if evening <= now else evening - timedelta(days=1)


SECRET = "demo-signing-secret-0123456789"


@pytest.mark.slow
def test_the_demo_story_alerts_escalates_and_stops_on_ack(
    alpha: Tenant, fake_api: FakeAPI, mailbox: Mailbox
) -> None:
    org = alpha.org
    # The isolation fixtures' channel points at the internet; this test uses local receivers only.
    alpha.extra["alert_channel"].delete()
    alpha.extra["alert"].delete()
    hook = do_add_channel(
        org, name="広報 Webhook", kind="webhook", config={"url": fake_api.url("/hikeshi"), "secret": SECRET}
    )
    mail = do_add_channel(org, name="リスク管理メール", kind="email", config={"to": "risk@example.com"})
    EscalationContact.objects.create(
        organization=org, level=2, order=1, name="広報課長", channel=hook, wait_minutes=10
    )
    EscalationContact.objects.create(
        organization=org, level=2, order=2, name="総務部長", channel=mail, wait_minutes=10
    )

    seed_monitoring_demo(org, now=_last_evening())

    story = Topic.objects.for_org(org).order_by("-post_count").first()
    assert story is not None and "ビニール片" in story.first_post.text
    everything = list(Alert.objects.for_org(org))
    # One story, one alert: the organisation-wide surge seen first became the topic's alert when the
    # posts grouped, however many batches and series saw it, and the reactions that reply to the story
    # (「これはひどい。サンプル食品もう買わない」, which reads as a complaint) are in its topic, not one of their own.
    alerts = [a for a in everything if a.story_key == f"monitoring:topic:{story.pk}"]
    assert len(alerts) == 1 and len(everything) == 1, [(a.story_key, a.title) for a in everything]
    grown = [a for a in alerts if a.events.filter(kind=EventKind.LEVEL_CHANGED).exists()]
    assert grown and all(a.update_count > 1 for a in grown)
    announced = [a for a in alerts if a.notified_level >= 2]
    assert announced

    assert set(deliver_pending()) == {"sent"}
    webhook_bodies = []
    for request in fake_api.requests:
        assert verify(
            SECRET,
            timestamp=request.headers[TIMESTAMP_HEADER.lower()],
            body=request.body,
            signature=request.headers[SIGNATURE_HEADER.lower()],
        )
        webhook_bodies.append(json.loads(request.body))
    assert {body["alert_id"] for body in webhook_bodies} >= {a.pk for a in announced}
    assert mailbox.messages and all(
        str(m["Subject"]).strip().startswith("【警戒】") for m in mailbox.messages
    )

    # Nobody acknowledges: ten minutes after the last announcement the second contact is paged.
    last_page = max(a.escalation_next_at for a in Alert.objects.for_org(org) if a.escalation_next_at)
    escalate_due(last_page)
    assert Notification.objects.filter(contact__name="総務部長").count() == len(announced)

    # The first alert's link, from the message the webhook received, acknowledges it.
    first = announced[0]
    link = next(b["ack_url"] for b in webhook_bodies if b["alert_id"] == first.pk)
    client = Client()
    client.force_login(alpha.member)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + path).status_code == 302
    first.refresh_from_db()
    assert first.status == AlertStatus.ACKNOWLEDGED and first.escalation_next_at is None
    before = Notification.objects.filter(alert=first).count()
    escalate_due(last_page + timedelta(hours=1))
    assert Notification.objects.filter(alert=first).count() == before
