"""Recording notifications before they are sent, delivering them, and falling back when a channel breaks.

`deliver` is what the Celery task runs; it is idempotent (a notification that is no longer pending is
skipped), so an at-least-once redelivery never sends twice after a recorded success.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from hikeshi.alerts.channels.base import ChannelError, ConfigError, Message, PermanentError, TransientError
from hikeshi.alerts.channels.registry import build
from hikeshi.alerts.models import (
    Alert,
    Channel,
    ChannelStatus,
    EscalationContact,
    Notification,
    NotificationReason,
    NotificationStatus,
)
from hikeshi.tenancy.models import Organization

ERROR_CHARS = 1000


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    PERMANENT = "permanent_failure"
    SKIPPED = "skipped"


def fallback_channel(organization: Organization, *, excluding: Channel | None = None) -> Channel | None:
    candidates = Channel.objects.for_org(organization).filter(
        is_fallback=True, is_active=True, status=ChannelStatus.OK
    )
    if excluding is not None:
        candidates = candidates.exclude(pk=excluding.pk)
    return candidates.order_by("id").first()


def record(
    channel: Channel,
    message: Message,
    *,
    reason: str,
    alert: Alert | None = None,
    contact: EscalationContact | None = None,
    fallback_of: Notification | None = None,
) -> Notification:
    """Store the notification (pending) and queue its delivery for after the surrounding transaction."""
    from hikeshi.alerts.tasks import deliver_notification
    from hikeshi.core.tasks import enqueue

    notification = Notification.objects.create(
        organization=channel.organization,
        alert=alert,
        channel=channel,
        contact=contact,
        fallback_of=fallback_of,
        reason=reason,
        level=message.level,
        payload=message.to_payload(),
    )
    enqueue(deliver_notification, notification_id=notification.pk)
    return notification


def record_to_channel_or_fallback(
    channel: Channel,
    message: Message,
    *,
    reason: str,
    alert: Alert | None = None,
    contact: EscalationContact | None = None,
) -> Notification | None:
    """A broken channel is not tried again until someone fixes it: its messages go to the fallback now."""
    if channel.status == ChannelStatus.OK and channel.is_active:
        return record(channel, message, reason=reason, alert=alert, contact=contact)
    fallback = fallback_channel(channel.organization, excluding=channel)
    if fallback is None:
        return None
    return record(
        fallback, _fallback_message(message, channel), reason=NotificationReason.FALLBACK, alert=alert
    )


def _fallback_message(message: Message, failed: Channel) -> Message:
    note = f"※「{failed.name}」に送れなかったため、代替チャンネルで送っています。"
    return Message.from_payload({**message.to_payload(), "text": f"{message.text}\n{note}"})


def deliver(notification_id: int, *, final_attempt: bool = True, now: datetime | None = None) -> Outcome:
    """Send one pending notification and store the outcome. RETRY asks the caller to try again later."""
    notification = (
        Notification.objects.select_related("channel", "channel__organization")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.status != NotificationStatus.PENDING:
        return Outcome.SKIPPED
    channel = notification.channel
    now = now or timezone.now()
    notification.attempts += 1
    try:
        build(channel.kind, channel.config).send(Message.from_payload(notification.payload))
    except (PermanentError, ConfigError) as exc:
        _fail_permanently(notification, str(exc), now)
        return Outcome.PERMANENT
    except TransientError as exc:
        notification.error = str(exc)[:ERROR_CHARS]
        if not final_attempt:
            notification.save(update_fields=["attempts", "error"])
            return Outcome.RETRY
        notification.status = NotificationStatus.FAILED
        notification.save(update_fields=["attempts", "error", "status"])
        _send_fallback(notification)
        return Outcome.FAILED
    except ChannelError as exc:  # pragma: no cover - every transport raises one of the two kinds
        _fail_permanently(notification, str(exc), now)
        return Outcome.PERMANENT
    notification.status = NotificationStatus.SENT
    notification.sent_at = now
    notification.error = ""
    notification.save(update_fields=["attempts", "status", "sent_at", "error"])
    if channel.status != ChannelStatus.OK:
        # A successful send proves the channel works again (e.g. after "send test").
        Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.OK, last_error="")
    return Outcome.SENT


@transaction.atomic
def _fail_permanently(notification: Notification, error: str, now: datetime) -> None:
    notification.status = NotificationStatus.PERMANENT_FAILURE
    notification.error = error[:ERROR_CHARS]
    notification.save(update_fields=["attempts", "status", "error"])
    channel = notification.channel
    channel.status = ChannelStatus.BROKEN
    channel.last_error = error[:ERROR_CHARS]
    channel.last_error_at = now
    channel.save(update_fields=["status", "last_error", "last_error_at"])
    _send_fallback(notification)


def _send_fallback(notification: Notification) -> Notification | None:
    # A fallback of a fallback would bounce between broken channels; a test send has no one to fall back to.
    if notification.reason in (NotificationReason.FALLBACK, NotificationReason.TEST):
        return None
    fallback = fallback_channel(notification.channel.organization, excluding=notification.channel)
    if fallback is None:
        return None
    message = _fallback_message(Message.from_payload(notification.payload), notification.channel)
    return record(
        fallback,
        message,
        reason=NotificationReason.FALLBACK,
        alert=notification.alert,
        fallback_of=notification,
    )
