"""Demo monitoring for 株式会社サンプル食品: watch rules and a bundled week of posts replayed locally.

The week (``demo_data/sample_foods_week.jsonl``) is ordinary mentions with a daily rhythm, then, in the
last six hours, a complaint about a piece of plastic in a boxed lunch (異物混入) that spreads through
reposts, まとめ copies, replies and a news item. Times are stored as minutes before "now" and replayed hour by
hour with the pipeline's clock set to each hour's end, so the detectors learn the quiet week before they
see the story — exactly as if the collector had been running all week. Nothing touches the network.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources

from django.utils import timezone

from hikeshi.ingest.items import Engagement, IngestedItem
from hikeshi.monitoring.actions import do_add_watch_rule, do_update_profile, named_source
from hikeshi.monitoring.models import Mention, SourceKind, WatchRule
from hikeshi.monitoring.pipeline import process_items
from hikeshi.monitoring.series import assess_pending
from hikeshi.tenancy.models import Organization

DEMO_FILE = "sample_foods_week.jsonl"
DEMO_SOURCE = "デモ (ローカル再生)"
STORY_HOURS = timedelta(hours=7)


def demo_items(now: datetime) -> list[IngestedItem]:
    text = resources.files("hikeshi.monitoring").joinpath("demo_data", DEMO_FILE).read_text(encoding="utf-8")
    items = []
    for line in text.splitlines():
        row = json.loads(line)
        items.append(
            IngestedItem(
                source_id=row["id"],
                text=row["text"],
                title=row.get("title", ""),
                url=row["url"],
                author=row["author"],
                published=now - timedelta(minutes=int(row["minutes_before_now"])),
                engagement=Engagement(
                    reposts=row.get("reposts"), author_followers=row.get("author_followers")
                ),
                source=row["source"],
                reply_to=row.get("reply_to"),  # reactions answer the story's first post
            )
        )
    return items


def _slice_end(moment: datetime, now: datetime) -> datetime:
    slice_ = timedelta(minutes=30) if now - moment < STORY_HOURS else timedelta(hours=6)
    epoch = datetime(2000, 1, 1, tzinfo=moment.tzinfo)
    return epoch + ((moment - epoch) // slice_ + 1) * slice_


def seed_monitoring_demo(organization: Organization, *, now: datetime | None = None) -> int:
    """Rules, organisation words and the replayed week for ``organization``; returns its mention count.
    Running it again adds nothing (rules are kept by name, posts are idempotent)."""
    now = now or timezone.now()
    existing = set(WatchRule.objects.for_org(organization).values_list("name", flat=True))
    if "サンプル食品" not in existing:
        do_add_watch_rule(
            organization,
            name="サンプル食品",
            terms=[
                {"name": "サンプル食品", "variants": ["さんぷる食品", "sample foods", "サンプルフーズ"]},
            ],
            exclusions=["求人", "アルバイト募集"],
        )
    if "サンプル食品 × 異物・健康被害" not in existing:
        do_add_watch_rule(
            organization,
            name="サンプル食品 × 異物・健康被害",
            terms=[],
            query="サンプル食品 AND (異物 OR 混入 OR ビニール OR 髪の毛 OR 腹痛 OR 食中毒)",
        )
    do_update_profile(
        organization,
        confidential_terms=["プロジェクト紅鮭"],
        vip_names=[],
        own_names=["サンプル食品", "さんぷる食品"],
    )
    source = named_source(organization, SourceKind.PUSH, DEMO_SOURCE)
    items = sorted(demo_items(now), key=lambda it: it.published or now)
    # Replay in slices, each batch with the clock at its slice's end: 6 hours for the quiet week,
    # 30 minutes while the story unfolds (so its growth is assessed step by step).
    batch: list[IngestedItem] = []
    batch_end: datetime | None = None
    for it in items:
        assert it.published is not None
        hour_end = _slice_end(it.published, now)
        if batch and hour_end != batch_end:
            replay_now = min(batch_end or now, now)
            process_items(batch, source_key=source.source_key, source=source, now=replay_now)
            assess_pending(replay_now, organization.pk)
            batch = []
        batch.append(it)
        batch_end = hour_end
    if batch:
        process_items(batch, source_key=source.source_key, source=source, now=now)
    assess_pending(now, organization.pk)
    return Mention.objects.for_org(organization).count()
