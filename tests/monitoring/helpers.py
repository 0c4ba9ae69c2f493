"""Shared helpers for monitoring tests: rules, items and a local feed server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hikeshi.ingest.items import Engagement, IngestedItem
from hikeshi.monitoring.actions import do_add_watch_rule
from hikeshi.monitoring.models import WatchRule
from hikeshi.tenancy.models import Organization

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def sample_rule(org: Organization, name: str = "サンプル食品") -> WatchRule:
    return do_add_watch_rule(
        org, name=name, terms=[{"name": name, "variants": ["sample foods"]}], exclusions=["求人"]
    )


def item(source_id: str, text: str, minutes_ago: int = 10, **engagement: int) -> IngestedItem:
    return IngestedItem(
        source_id=source_id,
        text=text,
        author=f"user{source_id}",
        published=NOW - timedelta(minutes=minutes_ago),
        engagement=Engagement(**engagement),
    )
