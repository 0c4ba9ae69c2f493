"""Which alert a series' assessment belongs to: one alert per story (a topic, or an organisation-wide
surge not yet traced to one), raised through `hikeshi.alerts.actions.do_raise_alert`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count

from hikeshi.alerts.actions import do_raise_alert
from hikeshi.alerts.models import Alert, AlertStatus
from hikeshi.detection import Assessment
from hikeshi.monitoring.models import Mention, WatchRule
from hikeshi.tenancy.models import Organization

logger = logging.getLogger(__name__)

# The recent mentions of a rule that decide which topic its surge is about (as in the content signals).
SURGE_WINDOW = timedelta(hours=1)


def _rule_surge_target(
    organization: Organization, series: str, assessment: Assessment, now: datetime
) -> tuple[str, str, str] | None:
    """Which alert a surge on a watch rule belongs to: (story key, title, link), or None for no alert.

    A surge on a rule is not a story of its own. When most of the rule's recent mentions belong to one
    topic, it is that topic's story: its open alert is raised to the surge's level (one alert that grows,
    not a second one about the same posts), or nothing happens while that alert is already as high. Otherwise
    it is the organisation-wide surge, one alert whichever rule saw it, silent while any story alert at this
    level or above is open because that alert already tells the people on call.
    """
    open_alerts = Alert.objects.for_org(organization).exclude(status=AlertStatus.RESOLVED)
    dominant = (
        Mention.objects.filter(
            rule_id=int(series[5:]),
            organization_id=organization.pk,
            posted_at__gt=now - SURGE_WINDOW,
            posted_at__lte=now,
            topic_id__isnull=False,
        )
        .values("topic_id")
        .annotate(n=Count("id"))
        .order_by("-n", "topic_id")
        .first()
    )
    if dominant is not None:
        topic_key = f"monitoring:topic:{dominant['topic_id']}"
        topic_alert = open_alerts.filter(story_key=topic_key).first()
        if topic_alert is not None:
            if assessment.level <= topic_alert.level:
                return None
            return (
                topic_key,
                f"火種: {assessment.level.label_ja}",
                f"/o/{organization.slug}/monitoring/topics/{dominant['topic_id']}/",
            )
    covered = open_alerts.filter(
        story_key__startswith="monitoring:topic:", level__gte=assessment.level
    ).exists()
    if covered and assessment.level > 0:
        return None
    rule = WatchRule.objects.filter(pk=int(series[5:])).first()
    return (
        "monitoring:org-surge",
        f"言及の急増 (監視ルール「{rule.name if rule else series}」): {assessment.level.label_ja}",
        f"/o/{organization.slug}/monitoring/posts/?rule={series[5:]}",
    )


def raise_story_alert(
    org_id: int, series: str, assessment: Assessment, now: datetime, *, categories: Sequence[str] = ()
) -> None:
    """Hand a series' assessment to the alerts app under the story it belongs to (see _rule_surge_target)."""
    organization = Organization.objects.get(pk=org_id)
    if series.startswith("rule:"):
        target = _rule_surge_target(organization, series, assessment, now)
        if target is None:
            return
        story_key, title, url_path = target
        continues: tuple[str, ...] = ()
    else:
        story_key = f"monitoring:{series}"
        title = f"火種: {assessment.level.label_ja}"
        url_path = f"/o/{organization.slug}/monitoring/topics/{series[6:]}/"
        # The surge that an organisation-wide alert announced is usually this topic seen earlier, before
        # its posts had grouped: that alert becomes the topic's alert rather than a second one.
        continues = ("monitoring:org-surge",)
    try:
        # A savepoint: alerting is a side effect of storing posts, and its failure must not lose them.
        # The story is assessed again with the next batch, and do_raise_alert is idempotent per story.
        with transaction.atomic():
            do_raise_alert(
                organization,
                story_key=story_key,
                assessment=assessment,
                title=title,
                url_path=url_path,
                categories=list(categories),
                watch_rule_id=int(series[5:]) if series.startswith("rule:") else None,
                continues=continues,
                now=now,
            )
    except Exception:
        logger.exception("raising the alert for %s of organisation %s failed", series, org_id)
