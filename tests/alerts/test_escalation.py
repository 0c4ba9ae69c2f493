"""Escalation along the chain with a controllable clock; acknowledging stops it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hikeshi.alerts.actions import do_acknowledge, do_raise_alert, do_snooze
from hikeshi.alerts.channel_actions import do_add_channel
from hikeshi.alerts.models import Alert, AlertEvent, EscalationContact, EventKind, Notification
from hikeshi.alerts.sweeps import escalate_due
from hikeshi.tenancy.models import Organization
from tests.alerts.helpers import DAYTIME, assessment


@pytest.fixture
def org(db: None) -> Organization:
    org = Organization.objects.create(slug="school", name="さくら学園")
    for order, (name, wait) in enumerate([("教頭", 10), ("校長", 15), ("理事長", 30)], start=1):
        channel = do_add_channel(
            org, name=f"{name}のメール", kind="email", config={"to": f"{order}@example.com"}
        )
        EscalationContact.objects.create(
            organization=org, level=2, order=order, name=name, channel=channel, wait_minutes=wait
        )
    # A separate chain for 大炎上 only.
    top = do_add_channel(org, name="危機管理 LINE", kind="line", config={"token": "t", "to": "G1"})
    EscalationContact.objects.create(
        organization=org, level=4, order=1, name="危機管理室", channel=top, wait_minutes=5
    )
    return org


def _paged(alert: Alert) -> list[str]:
    rows = Notification.objects.filter(alert=alert, contact__isnull=False).order_by("id")
    return [n.contact.name for n in rows]  # type: ignore[union-attr]


def _raise(org: Organization, level: int, minutes: int = 0) -> Alert:
    now = DAYTIME + timedelta(minutes=minutes)
    return do_raise_alert(org, story_key="topic:9", assessment=assessment(level), title="生徒の投稿", now=now)


def test_contacts_are_paged_in_order_after_their_wait(org: Organization) -> None:
    alert = _raise(org, 2)
    assert _paged(alert) == ["教頭"]
    escalate_due(DAYTIME + timedelta(minutes=9, seconds=59))
    assert _paged(alert) == ["教頭"]
    escalate_due(DAYTIME + timedelta(minutes=10))
    assert _paged(alert) == ["教頭", "校長"]
    escalate_due(DAYTIME + timedelta(minutes=10))  # a redelivered tick does nothing
    escalate_due(DAYTIME + timedelta(minutes=24))
    assert _paged(alert) == ["教頭", "校長"]
    escalate_due(DAYTIME + timedelta(minutes=25))
    assert _paged(alert) == ["教頭", "校長", "理事長"]
    escalate_due(DAYTIME + timedelta(days=1))
    assert _paged(alert) == ["教頭", "校長", "理事長"]
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.ESCALATED).count() == 2
    message = Notification.objects.filter(alert=alert, contact__name="校長").get().payload
    assert "宛先: 校長 さん" in message["text"] and message["kind"] == "escalation"


def test_acknowledging_stops_escalation(org: Organization) -> None:
    alert = _raise(org, 2)
    escalate_due(DAYTIME + timedelta(minutes=10))
    do_acknowledge(alert, by=None, now=DAYTIME + timedelta(minutes=12))
    escalate_due(DAYTIME + timedelta(minutes=30))
    escalate_due(DAYTIME + timedelta(hours=5))
    assert _paged(alert) == ["教頭", "校長"]


def test_snooze_postpones_the_next_step(org: Organization) -> None:
    alert = _raise(org, 2)
    do_snooze(alert, minutes=60, by=None, now=DAYTIME + timedelta(minutes=5))
    escalate_due(DAYTIME + timedelta(minutes=10))
    escalate_due(DAYTIME + timedelta(minutes=64))
    assert _paged(alert) == ["教頭"]
    escalate_due(DAYTIME + timedelta(minutes=65))
    assert _paged(alert) == ["教頭", "校長"]


def test_a_rise_to_a_level_with_its_own_chain_starts_that_chain(org: Organization) -> None:
    alert = _raise(org, 2)
    _raise(org, 3, minutes=2)  # 炎上 still uses the 警戒 chain: nobody new is paged at once
    assert _paged(alert) == ["教頭"]
    _raise(org, 4, minutes=3)
    assert _paged(alert) == ["教頭", "危機管理室"]
