"""The periodic sweeps: escalation along the chain, releasing held announcements, the daily digest.

Both take `now` so tests drive them with a controllable clock; both are idempotent (a second run at the
same moment finds nothing due), as the at-least-once scheduler requires.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from hikeshi.alerts.compose import digest_message
from hikeshi.alerts.models import Alert, AlertRule, AlertSettings, AlertStatus, Channel, NotificationReason
from hikeshi.alerts.notify import record_to_channel_or_fallback
from hikeshi.alerts.routing import announce, page_next

DIGEST_FROM = time(7, 0)


def escalate_due(now: datetime | None = None) -> int:
    """Page the next contact of every unacknowledged alert whose wait ran out, and release pending
    announcements (quiet hours over, silence or snooze expired). Returns how many alerts it acted on."""
    now = now or timezone.now()
    acted = 0
    due = Alert.objects.filter(status=AlertStatus.OPEN, escalation_next_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(due):
        with transaction.atomic():
            alert = Alert.objects.select_for_update().select_related("organization").get(pk=pk)
            if (
                alert.status != AlertStatus.OPEN
                or alert.escalation_next_at is None
                or alert.escalation_next_at > now
            ):
                continue
            if alert.snoozed_until and alert.snoozed_until > now:
                alert.escalation_next_at = alert.snoozed_until
                alert.save()
                continue
            page_next(alert, now)
            alert.save()
            acted += 1
    pending = (
        Alert.objects.exclude(status=AlertStatus.RESOLVED)
        .exclude(pending_reason="")
        .filter(level__gte=1)
        .values_list("pk", flat=True)
    )
    for pk in list(pending):
        with transaction.atomic():
            alert = Alert.objects.select_for_update().select_related("organization").get(pk=pk)
            if alert.held_until and alert.held_until > now:
                continue
            if announce(alert, now):
                acted += 1
    return acted


def send_daily_digest(now: datetime | None = None) -> int:
    """Once per local day per organisation: what stayed below alert level in the last 24 hours.

    "Below alert level" = never announced by a rule (its peak stayed under every rule's minimum level).
    Returns the number of digests recorded.
    """
    now = now or timezone.now()
    sent = 0
    for row in AlertSettings.objects.filter(digest_enabled=True).select_related("organization"):
        local = now.astimezone(ZoneInfo(row.timezone))
        if row.last_digest_on == local.date() or local.time() < DIGEST_FROM:
            continue
        with transaction.atomic():
            row = AlertSettings.objects.select_for_update().select_related("organization").get(pk=row.pk)
            if row.last_digest_on == local.date():
                continue
            sent += _digest_for(row, now)
            row.last_digest_on = local.date()
            row.save(update_fields=["last_digest_on"])
    return sent


def _digest_for(row: AlertSettings, now: datetime) -> int:
    org = row.organization
    rules = AlertRule.objects.for_org(org).filter(is_active=True)
    threshold = min((rule.min_level for rule in rules), default=2)
    quiet = list(
        Alert.objects.for_org(org)
        .filter(updated_at__gte=now - timedelta(days=1), peak_level__lt=threshold, peak_level__gte=1)
        .select_related("organization")
        .order_by("-peak_level", "-updated_at")[:50]
    )
    if not quiet:
        return 0
    message = digest_message(org.name, quiet, now, row.timezone)
    channels = Channel.objects.for_org(org).filter(is_active=True, is_fallback=False)
    recorded = 0
    for channel in channels:
        if record_to_channel_or_fallback(channel, message, reason=NotificationReason.DIGEST) is not None:
            recorded += 1
    return recorded
