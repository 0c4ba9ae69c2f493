"""Writes to channels (do_* functions), shared by the settings pages, the CLI and the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from hikeshi.alerts.channels.registry import clean_config
from hikeshi.alerts.compose import channel_test_message
from hikeshi.alerts.models import Channel, Notification, NotificationReason
from hikeshi.alerts.notify import Outcome, deliver
from hikeshi.tenancy.models import Organization


@transaction.atomic
def do_add_channel(
    organization: Organization, *, name: str, kind: str, config: Mapping[str, Any], is_fallback: bool = False
) -> Channel:
    """Raises channels.base.ConfigError (a ValueError) for an unknown kind or an incomplete config."""
    cleaned = clean_config(kind, config)
    name = name.strip()[:100] or kind
    if is_fallback:
        Channel.objects.for_org(organization).filter(is_fallback=True).update(is_fallback=False)
    return Channel.objects.create(
        organization=organization, name=name, kind=kind, config=cleaned, is_fallback=is_fallback
    )


@transaction.atomic
def do_set_fallback(channel: Channel, is_fallback: bool) -> Channel:
    # One fallback per organisation: "where do messages go when a channel breaks" has one answer.
    if is_fallback:
        Channel.objects.for_org(channel.organization).exclude(pk=channel.pk).update(is_fallback=False)
    channel.is_fallback = is_fallback
    channel.save(update_fields=["is_fallback"])
    return channel


@transaction.atomic
def do_delete_channel(channel: Channel) -> None:
    channel.delete()


def do_send_test(channel: Channel) -> tuple[Outcome, Notification]:
    """Record and send a test message now (one attempt), so the page can say at once whether it arrived."""
    with transaction.atomic():
        message = channel_test_message(channel.name, channel.organization.name)
        notification = Notification.objects.create(
            organization=channel.organization,
            channel=channel,
            reason=NotificationReason.TEST,
            payload=message.to_payload(),
        )
    outcome = deliver(notification.pk, final_attempt=True)
    notification.refresh_from_db()
    return outcome, notification
