"""Notifications are recorded before sending; 5xx and timeouts are retried with backoff by the Celery task;
4xx marks the channel broken and the organisation's fallback channel carries the message."""

from __future__ import annotations

import json

import pytest

from hikeshi.alerts.actions import do_raise_alert
from hikeshi.alerts.channel_actions import do_add_channel, do_send_test
from hikeshi.alerts.models import Channel, ChannelStatus, Notification, NotificationReason, NotificationStatus
from hikeshi.alerts.notify import Outcome, deliver
from hikeshi.alerts.tasks import MAX_RETRIES, backoff_seconds, deliver_notification
from hikeshi.tenancy.models import Organization
from tests.alerts.fakeapi import FakeAPI, Reply
from tests.alerts.helpers import DAYTIME, assessment, deliver_pending


@pytest.fixture
def org(db: None) -> Organization:
    return Organization.objects.create(slug="sample", name="株式会社サンプル食品")


def _channels(org: Organization, fake_api: FakeAPI) -> tuple[Channel, Channel]:
    primary = do_add_channel(org, name="Slack", kind="slack", config={"url": fake_api.url("/slack")})
    fallback = do_add_channel(
        org,
        name="予備 Webhook",
        kind="webhook",
        config={"url": fake_api.url("/fallback"), "secret": "f" * 20},
        is_fallback=True,
    )
    return primary, fallback


def _raise(org: Organization) -> Notification:
    alert = do_raise_alert(
        org, story_key="topic:1", assessment=assessment(3), title="異物混入の投稿", now=DAYTIME
    )
    return Notification.objects.get(alert=alert)


def test_the_notification_is_recorded_pending_before_any_send(org: Organization, fake_api: FakeAPI) -> None:
    _channels(org, fake_api)
    notification = _raise(org)
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 0
    assert notification.channel.name == "Slack"  # the fallback is not an everyday channel
    assert fake_api.requests == []
    assert deliver(notification.pk) == Outcome.SENT
    assert deliver(notification.pk) == Outcome.SKIPPED  # a redelivered task sends nothing twice
    assert len(fake_api.requests) == 1


def test_server_errors_are_retried_by_the_task_until_sent(org: Organization, fake_api: FakeAPI) -> None:
    _channels(org, fake_api)
    notification = _raise(org)
    fake_api.script(Reply(status=503), Reply(status=500), Reply(status=200))
    result = deliver_notification.apply(kwargs={"notification_id": notification.pk})
    assert result.get() == "sent"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 3)
    assert [r.path for r in fake_api.requests] == ["/slack"] * 3


def test_timeouts_are_retried(org: Organization, fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from hikeshi.alerts.channels import http

    monkeypatch.setattr(http, "READ_TIMEOUT", 0.2)
    _channels(org, fake_api)
    notification = _raise(org)
    fake_api.script(Reply(delay=0.6))
    assert deliver(notification.pk, final_attempt=False) == Outcome.RETRY
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING and "timed out" in notification.error
    assert deliver(notification.pk, final_attempt=False) == Outcome.SENT


def test_backoff_grows_exponentially_and_is_capped() -> None:
    delays = [backoff_seconds(n) for n in range(MAX_RETRIES)]
    assert delays == [5, 10, 20, 40, 80, 160]
    assert backoff_seconds(20) == 600


def test_exhausted_retries_fail_and_use_the_fallback(org: Organization, fake_api: FakeAPI) -> None:
    primary, _fallback = _channels(org, fake_api)
    notification = _raise(org)
    fake_api.script(*[Reply(status=502)] * (MAX_RETRIES + 1))
    assert deliver_notification.apply(kwargs={"notification_id": notification.pk}).get() == "failed"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.FAILED, MAX_RETRIES + 1)
    primary.refresh_from_db()
    assert primary.status == ChannelStatus.OK  # a passing outage does not mark the channel broken
    fallback = Notification.objects.get(reason=NotificationReason.FALLBACK)
    assert deliver(fallback.pk) == Outcome.SENT
    assert fake_api.requests[-1].path == "/fallback"


def test_a_client_error_breaks_the_channel_and_the_fallback_carries_the_message(
    org: Organization, fake_api: FakeAPI
) -> None:
    primary, fallback = _channels(org, fake_api)
    _raise(org)
    fake_api.script(Reply(status=404, body=b"no_service"))
    outcomes = deliver_pending()
    assert outcomes == [Outcome.PERMANENT, Outcome.SENT]
    primary.refresh_from_db()
    assert primary.status == ChannelStatus.BROKEN and "HTTP 404" in primary.last_error
    sent = Notification.objects.get(channel=fallback)
    assert sent.fallback_of is not None and sent.status == NotificationStatus.SENT
    body = json.loads(fake_api.requests[-1].body)
    assert "代替チャンネル" in body["text"] and body["subject"].startswith("【炎上】")
    # While broken, later messages go straight to the fallback instead of failing again.
    do_raise_alert(org, story_key="topic:2", assessment=assessment(2), title="別の話題", now=DAYTIME)
    newest = Notification.objects.order_by("-id").first()
    assert newest is not None and newest.channel == fallback and newest.reason == NotificationReason.FALLBACK


def test_a_broken_fallback_does_not_bounce(org: Organization, fake_api: FakeAPI) -> None:
    _channels(org, fake_api)
    _raise(org)
    fake_api.script(Reply(status=401), Reply(status=403))
    assert deliver_pending() == [Outcome.PERMANENT, Outcome.PERMANENT]
    assert Channel.objects.for_org(org).filter(status=ChannelStatus.BROKEN).count() == 2


def test_a_successful_test_send_repairs_a_broken_channel(org: Organization, fake_api: FakeAPI) -> None:
    primary, _fallback = _channels(org, fake_api)
    fake_api.script(Reply(status=403))
    outcome, notification = do_send_test(primary)
    assert outcome == Outcome.PERMANENT and "403" in notification.error
    assert Notification.objects.filter(reason=NotificationReason.FALLBACK).count() == 0
    outcome, _ = do_send_test(primary)
    primary.refresh_from_db()
    assert outcome == Outcome.SENT and primary.status == ChannelStatus.OK
    assert "テスト送信" in json.loads(fake_api.requests[-1].body)["text"]
