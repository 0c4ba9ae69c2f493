"""Writes to alerts (do_* functions, each in one transaction). `now` is injectable for tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from hikeshi.accounts.models import User
from hikeshi.alerts.events import add_event
from hikeshi.alerts.models import LEVEL_LABELS_JA, Alert, AlertStatus, EventKind, Silence
from hikeshi.alerts.routing import announce
from hikeshi.detection import Assessment
from hikeshi.tenancy.models import Organization

MAX_SNOOZE = timedelta(days=7)
MAX_SILENCE = timedelta(days=90)


def _first_posts(assessment: Assessment) -> list[dict[str, Any]]:
    posts = []
    for post in assessment.first_posts:
        row = asdict(post)
        row["posted_at"] = post.posted_at.isoformat()
        posts.append(row)
    return posts


@transaction.atomic
def do_raise_alert(
    organization: Organization,
    *,
    story_key: str,
    assessment: Assessment,
    title: str,
    url_path: str = "",
    categories: Sequence[str] = (),
    watch_rule_id: int | None = None,
    source_kinds: Sequence[str] = (),
    continues: Sequence[str] = (),
    now: datetime | None = None,
) -> Alert | None:
    """Create the story's alert, or update its unresolved one as the story grows.

    A level above what was already announced notifies again (through the rules, the quiet hours, silences
    and the escalation chain); the same level only updates the explanation, posts and counts. A level-0
    assessment only updates an existing alert (the story calmed down); with no alert open it opens none and
    returns None, so callers may pass every assessment after an alarm without checking.

    `continues` names stories this one may turn out to be: when the story has no open alert but one of those
    has (an organisation-wide surge that the pipeline has now traced to this topic), that alert becomes this
    story's alert — same id, same people already paged, same escalation clock — instead of a second alert
    about the same posts.
    """
    now = now or timezone.now()
    story_key = story_key.strip()
    if not story_key or len(story_key) > 100:
        raise ValueError("story_key must be 1-100 characters")
    level = int(assessment.level)
    alert = (
        Alert.objects.select_for_update()
        .filter(organization=organization, story_key=story_key)
        .exclude(status=AlertStatus.RESOLVED)
        .first()
    )
    if alert is None and level >= 1 and continues:
        alert = (
            Alert.objects.select_for_update()
            .filter(organization=organization, story_key__in=list(continues))
            .exclude(status=AlertStatus.RESOLVED)
            .order_by("created_at", "id")
            .first()
        )
        if alert is not None:
            add_event(alert, EventKind.UPDATED, now=now, detail=f"{alert.title} → {title[:200]}")
            alert.story_key = story_key
    if alert is None and level < 1:
        return None
    fields = {
        "score": assessment.score,
        "title": title[:200],
        "explanation": assessment.explanation,
        "first_posts": _first_posts(assessment),
        "factors": list(assessment.factors),
        "url_path": url_path[:500],
    }
    if alert is None:
        alert = Alert.objects.create(
            organization=organization,
            story_key=story_key,
            level=level,
            peak_level=level,
            categories=list(categories),
            watch_rule_id=watch_rule_id,
            source_kinds=list(source_kinds),
            **fields,
        )
        add_event(alert, EventKind.RAISED, now=now, detail=assessment.explanation)
    else:
        previous = alert.level
        for name, value in fields.items():
            setattr(alert, name, value)
        alert.level = level
        alert.peak_level = max(alert.peak_level, level)
        alert.categories = sorted(set(alert.categories) | set(categories))
        alert.source_kinds = sorted(set(alert.source_kinds) | set(source_kinds))
        alert.watch_rule_id = alert.watch_rule_id if watch_rule_id is None else watch_rule_id
        alert.update_count += 1
        if level != previous:
            change = f"{LEVEL_LABELS_JA[previous]} → {LEVEL_LABELS_JA[level]}"
            add_event(alert, EventKind.LEVEL_CHANGED, now=now, detail=change)
        alert.save()
    announce(alert, now)
    return alert


@transaction.atomic
def do_acknowledge(alert: Alert, *, by: User | None, now: datetime | None = None, via: str = "") -> Alert:
    """Someone takes the alert: escalation stops. Acknowledging twice changes nothing."""
    now = now or timezone.now()
    if alert.status != AlertStatus.OPEN:
        return alert
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_by = by
    alert.acknowledged_at = now
    alert.escalation_next_at = None
    if alert.assignee is None:
        alert.assignee = by
    alert.save()
    add_event(alert, EventKind.ACKNOWLEDGED, now=now, actor=by, detail=via)
    return alert


@transaction.atomic
def do_assign(alert: Alert, *, assignee: User | None, by: User | None, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    if alert.assignee_id == (assignee.pk if assignee else None):
        return alert
    alert.assignee = assignee
    alert.save()
    add_event(
        alert, EventKind.ASSIGNED, now=now, actor=by, detail=str(assignee) if assignee else "担当者なし"
    )
    return alert


@transaction.atomic
def do_snooze(alert: Alert, *, minutes: int, by: User | None, now: datetime | None = None) -> Alert:
    """Pause escalation and repeat announcements of this level; a higher level still goes out."""
    now = now or timezone.now()
    duration = timedelta(minutes=minutes)
    if duration <= timedelta(0) or duration > MAX_SNOOZE:
        raise ValueError("snooze must last between 1 minute and 7 days")
    alert.snoozed_until = now + duration
    alert.snoozed_level = alert.level
    if alert.escalation_next_at is not None:
        alert.escalation_next_at = max(alert.escalation_next_at, alert.snoozed_until)
    alert.save()
    add_event(
        alert, EventKind.SNOOZED, now=now, actor=by, detail=f"{alert.snoozed_until:%Y-%m-%d %H:%M} まで"
    )
    return alert


@transaction.atomic
def do_silence(
    organization: Organization,
    *,
    story_key: str,
    max_level: int,
    hours: float,
    reason: str = "",
    by: User | None,
    now: datetime | None = None,
) -> Silence:
    """Mute announcements of one story (or all stories when story_key is empty) up to max_level."""
    now = now or timezone.now()
    duration = timedelta(hours=hours)
    if duration <= timedelta(0) or duration > MAX_SILENCE:
        raise ValueError("a silence must last between a moment and 90 days")
    if not 1 <= max_level <= 4:
        raise ValueError("max_level must be 1-4")
    silence = Silence.objects.create(
        organization=organization,
        story_key=story_key.strip(),
        max_level=max_level,
        until=now + duration,
        reason=reason[:200],
        created_by=by,
    )
    for alert in Alert.objects.for_org(organization).exclude(status=AlertStatus.RESOLVED):
        if (not silence.story_key or alert.story_key == silence.story_key) and alert.level <= max_level:
            add_event(
                alert, EventKind.SILENCED, now=now, actor=by, detail=f"{silence.until:%Y-%m-%d %H:%M} まで"
            )
    return silence


@transaction.atomic
def do_resolve(alert: Alert, *, by: User | None, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    if alert.status == AlertStatus.RESOLVED:
        return alert
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now
    alert.escalation_next_at = None
    alert.save()
    add_event(alert, EventKind.RESOLVED, now=now, actor=by)
    return alert
