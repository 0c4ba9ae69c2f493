"""Shared helpers of the alerts tests (imported by tenancy_params too, so no fixtures here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hikeshi.alerts.models import Notification, NotificationStatus
from hikeshi.alerts.notify import Outcome, deliver
from hikeshi.detection import Assessment, FirstPost, RiskLevel

# 10:00 JST on a weekday: outside the default quiet hours (22:00-07:00).
DAYTIME = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def assessment(level: int, explanation: str = "過去7日の同時刻平均の12倍。否定的な投稿が68%。") -> Assessment:
    posts = [
        FirstPost(
            post_id="p1", excerpt="店員がお客の個人情報を投稿", posted_at=DAYTIME - timedelta(minutes=30)
        ),
        FirstPost(
            post_id="p2",
            excerpt="これはひどい。拡散希望",
            posted_at=DAYTIME - timedelta(minutes=20),
            reposts=900,
        ),
    ]
    return Assessment(
        level=RiskLevel(level), score=0.9, explanation=explanation, first_posts=posts, factors=["burst"]
    )


def deliver_pending(**kwargs: Any) -> list[Outcome]:
    """What the worker would do: deliver every pending notification once (fallbacks included)."""
    outcomes = []
    while True:
        pending = list(Notification.objects.filter(status=NotificationStatus.PENDING).order_by("id"))
        if not pending:
            return outcomes
        for notification in pending:
            outcomes.append(deliver(notification.pk, **kwargs))
