"""Deciding whether, when and where an alert's level is announced, and paging the escalation chain.

`announce` is called whenever an alert is raised or grows, and again by the every-minute sweep for alerts
whose announcement is pending (held by quiet hours, silenced, snoozed). An alert's level is announced at
most once (`notified_level`), so a story that keeps growing at the same level sends nothing new.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from hikeshi.alerts.compose import alert_message
from hikeshi.alerts.events import add_event
from hikeshi.alerts.models import (
    Alert,
    AlertRule,
    AlertSettings,
    AlertStatus,
    Channel,
    EscalationContact,
    EventKind,
    Notification,
    NotificationReason,
    Silence,
)
from hikeshi.alerts.notify import record_to_channel_or_fallback
from hikeshi.alerts.quiet import hold_until


def rule_matches(rule: AlertRule, alert: Alert) -> bool:
    if not rule.is_active or alert.level < rule.min_level:
        return False
    if rule.categories and not set(rule.categories) & set(alert.categories):
        return False
    if rule.watch_rule_id is not None and rule.watch_rule_id != alert.watch_rule_id:
        return False
    return not (rule.source_kind and rule.source_kind not in alert.source_kinds)


def channels_for(alert: Alert) -> list[Channel]:
    rules = [
        rule
        for rule in AlertRule.objects.for_org(alert.organization).prefetch_related("channels")
        if rule_matches(rule, alert)
    ]
    chosen: dict[int, Channel] = {}
    if any(rule.all_channels for rule in rules):
        # "All channels" means the everyday ones; the fallback channel is for when those fail.
        for channel in Channel.objects.for_org(alert.organization).filter(is_active=True, is_fallback=False):
            chosen[channel.pk] = channel
    for rule in rules:
        if not rule.all_channels:
            for channel in rule.channels.all():
                if channel.is_active:
                    chosen[channel.pk] = channel
    return [chosen[key] for key in sorted(chosen)]


def is_silenced(alert: Alert, now: datetime) -> bool:
    return (
        Silence.objects.for_org(alert.organization)
        .filter(until__gt=now, max_level__gte=alert.level)
        .filter(Q(story_key="") | Q(story_key=alert.story_key))
        .exists()
    )


def _pending(alert: Alert, reason: str, now: datetime, kind: EventKind, detail: str) -> list[Notification]:
    if alert.pending_reason != reason:
        alert.pending_reason = reason
        add_event(alert, kind, now=now, detail=detail)
    alert.save()
    return []


def announce(alert: Alert, now: datetime) -> list[Notification]:
    """Announce the alert's current level if it has not been, unless silenced, snoozed or held."""
    if alert.status == AlertStatus.RESOLVED or alert.level < 1 or alert.level <= alert.notified_level:
        return []
    if alert.snoozed_until and alert.snoozed_until > now and alert.level <= (alert.snoozed_level or 0):
        return _pending(alert, "snoozed", now, EventKind.SNOOZED, "スヌーズ中のため通知を保留")
    if is_silenced(alert, now):
        return _pending(alert, "silenced", now, EventKind.SILENCED, "ミュート中のため通知しません")
    settings_row = AlertSettings.objects.for_org(alert.organization).first()
    held = hold_until(settings_row, alert.level, now)
    if held is not None:
        alert.held_until = held
        return _pending(alert, "held", now, EventKind.HELD, f"夜間のため {held:%Y-%m-%d %H:%M} まで保留")
    reason = NotificationReason.RAISED if alert.notified_level < 1 else NotificationReason.LEVEL_UP
    message = alert_message(alert, reason=reason, now=now)
    sent = []
    for channel in channels_for(alert):
        notification = record_to_channel_or_fallback(channel, message, reason=reason, alert=alert)
        if notification is not None:
            sent.append(notification)
    alert.notified_level = alert.level
    alert.pending_reason = ""
    alert.held_until = None
    if sent:
        names = "、".join(n.channel.name for n in sent)
        add_event(alert, EventKind.NOTIFIED, now=now, detail=f"{alert.level_label}を通知: {names}")
    if alert.status == AlertStatus.OPEN:
        sent.extend(start_escalation(alert, now))
    alert.save()
    return sent


def chain_for(alert: Alert) -> tuple[int | None, list[EscalationContact]]:
    """The chain configured for the highest level at or below the alert's level."""
    contacts = list(
        EscalationContact.objects.for_org(alert.organization)
        .filter(level__lte=alert.level)
        .select_related("channel")
        .order_by("-level", "order", "id")
    )
    if not contacts:
        return None, []
    level = contacts[0].level
    return level, [c for c in contacts if c.level == level]


def start_escalation(alert: Alert, now: datetime) -> list[Notification]:
    level, chain = chain_for(alert)
    if level is None or level == alert.escalation_level:
        return []
    alert.escalation_level = level
    alert.escalation_step = -1
    return page_next(alert, now, chain=chain)


def page_next(
    alert: Alert, now: datetime, *, chain: list[EscalationContact] | None = None
) -> list[Notification]:
    """Page the next contact of the chain and schedule the one after; the caller saves the alert."""
    if chain is None:
        _level, chain = chain_for(alert)
    step = alert.escalation_step + 1
    if step >= len(chain):
        alert.escalation_next_at = None
        return []
    contact = chain[step]
    reason = NotificationReason.RAISED if step == 0 else NotificationReason.ESCALATION
    message = alert_message(alert, reason=reason, now=now, contact_id=contact.pk, contact_name=contact.name)
    notification = record_to_channel_or_fallback(
        contact.channel, message, reason=reason, alert=alert, contact=contact
    )
    alert.escalation_step = step
    alert.escalation_next_at = (
        now + timedelta(minutes=contact.wait_minutes) if step + 1 < len(chain) else None
    )
    if step > 0:
        add_event(alert, EventKind.ESCALATED, now=now, detail=f"{contact.name} さんに連絡 ({step + 1}番目)")
    else:
        add_event(alert, EventKind.NOTIFIED, now=now, detail=f"{contact.name} さんに連絡 (1番目)")
    return [notification] if notification is not None else []
