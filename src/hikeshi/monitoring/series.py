"""Per-series 5-minute buckets (the whole organisation, each rule, each topic), burst detection and risk.

Buckets count the mentions a batch creates (``buckets``): a mention is created once, so a batch that
runs twice cannot count twice. Each series has one BurstDetector whose JSON state is stored; closed
buckets are fed to it once, in order (empty ones as 0). The bucket still filling is scored on a copy, so
a story that is starting now is seen now without teaching the baseline a half bucket.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q

from hikeshi.detection import BurstDetector, BurstScore, ContentSignals, FirstPost, assess
from hikeshi.monitoring.buckets import count_new_mentions
from hikeshi.monitoring.models import (
    BUCKET_SECONDS,
    Mention,
    SeriesBucket,
    SeriesState,
    Topic,
)
from hikeshi.monitoring.sql import insert_rows
from hikeshi.monitoring.story_alerts import raise_story_alert

if TYPE_CHECKING:
    from hikeshi.monitoring.mentions import NewMention

BUCKET = timedelta(seconds=BUCKET_SECONDS)
MAX_FEED = 14 * 24 * 12
"""A detector that fell behind by more than two weeks restarts from the recent past."""
CONTENT_WINDOW = timedelta(hours=1)
MIN_TOPIC_POSTS = 3
"""Topics below this size are not assessed: most single posts never become a story."""
NEWS_MARKERS = ("news", "ニュース", "新聞", "nhk", "jiji", "kyodo")
AGGREGATOR_MARKERS = ("matome", "まとめ", "2ch", "5ch", "ch.net", "antenna", "アンテナ")


def site_kind(origin: str, url: str, title: str = "") -> str:
    """``news``, ``aggregator`` (まとめ, boards) or ``social``: how far a story has spread."""
    haystack = f"{origin} {url} {title}".lower()
    if any(marker in haystack for marker in AGGREGATOR_MARKERS):
        return "aggregator"
    if any(marker in haystack for marker in NEWS_MARKERS):
        return "news"
    return "social"


def _series_filter(series: str) -> Q:
    if series.startswith("rule:"):
        return Q(rule_id=int(series[5:]))
    if series.startswith("topic:"):
        return Q(topic_id=int(series[6:]))
    return Q()


def update_series(new_mentions: list[NewMention]) -> None:
    """Count the new mentions in their buckets (``buckets``) and mark their series pending."""
    touched = count_new_mentions(new_mentions)
    if touched:
        _mark_pending(touched)


def _mark_pending(keys: set[tuple[int, str]]) -> None:
    """INSERT ... ON CONFLICT (organization, series) DO UPDATE SET pending = true, in one statement.
    Only rows not pending yet are rewritten: between two assessments most of a batch's series are
    pending already, and rewriting them (a new row version, WAL) was most of the statement's work."""
    insert_rows(
        SeriesState,
        ["organization", "series", "pending"],
        [(org_id, key, True) for org_id, key in sorted(keys)],
        conflict=["organization", "series"],
        update=["pending"],
        changed_only=True,
    )


def assess_pending(now: datetime, org_id: int | None = None) -> int:
    """Feed the detectors and assess every series with new mentions; returns how many were assessed.

    A separate stage from storing: detection works on 5-minute buckets, so assessing once per bucket
    or so is enough, and ingestion does not pay for it per batch."""
    pending = SeriesState.objects.filter(pending=True)
    if org_id is not None:
        pending = pending.filter(organization_id=org_id)
    done = 0
    by_org: dict[int, list[str]] = defaultdict(list)
    for org, series in pending.values_list("organization_id", "series"):
        by_org[org].append(series)
    for org, keys in by_org.items():
        with transaction.atomic():
            _assess_series(org, keys, now)
        done += len(keys)
    return done


def _assess_series(org_id: int, series_keys: Iterable[str], now: datetime) -> None:
    from hikeshi.monitoring.mentions import bucket_of

    keys = sorted(series_keys)
    topic_ids = [int(k[6:]) for k in keys if k.startswith("topic:")]
    big_topics = {
        f"topic:{pk}"
        for pk in Topic.objects.filter(pk__in=topic_ids, post_count__gte=MIN_TOPIC_POSTS).values_list(
            "pk", flat=True
        )
    }
    small = [k for k in keys if k.startswith("topic:") and k not in big_topics]
    SeriesState.objects.filter(organization_id=org_id, series__in=small).update(pending=False)
    keys = [k for k in keys if not k.startswith("topic:") or k in big_topics]
    states = {
        s.series: s
        for s in SeriesState.objects.select_for_update().filter(organization_id=org_id, series__in=keys)
    }
    current = bucket_of(now)
    for key in keys:
        state = states.get(key) or SeriesState(organization_id=org_id, series=key)
        previous_level = state.level
        burst = _advance_detector(org_id, state, current)
        signals = _content_signals(org_id, key, now)
        assessment = assess(burst, signals, _first_posts(org_id, key, now))
        state.level = int(assessment.level)
        state.score = assessment.score
        state.explanation = assessment.explanation
        state.assessed_at = now
        state.pending = False
        state.save()
        if key.startswith("topic:"):
            Topic.objects.filter(pk=int(key[6:])).update(level=state.level, explanation=state.explanation)
        if key != "org" and (assessment.level >= 1 or previous_level >= 1):
            # Also at level 0 after an alarm: the alerts app then marks the story as calming down.
            categories = [c for c, _n in sorted(signals.top_categories.items(), key=lambda kv: -kv[1])]
            raise_story_alert(org_id, key, assessment, now, categories=categories[:5])


def _advance_detector(org_id: int, state: SeriesState, current: datetime) -> BurstScore | None:
    detector = BurstDetector.from_state(state.detector) if state.detector else BurstDetector(BUCKET)
    last_closed = current - BUCKET
    values = dict(
        SeriesBucket.objects.filter(
            organization_id=org_id,
            series=state.series,
            bucket_start__gt=state.scored_until or datetime.min.replace(tzinfo=current.tzinfo),
            bucket_start__lte=current,
        ).values_list("bucket_start", "mentions")
    )
    start = state.scored_until + BUCKET if state.scored_until else min(values, default=current)
    start = max(start, last_closed - BUCKET * (MAX_FEED - 1))
    burst: BurstScore | None = None
    moment = start
    while moment <= last_closed:
        burst = detector.update(moment, values.get(moment, 0))
        state.scored_until = moment
        moment += BUCKET
    state.detector = detector.state()
    if current in values:
        # The filling bucket, on a copy: a story starting now is seen now, the baseline learns it once closed.
        partial = BurstDetector.from_state(detector.state()).update(current, values[current])
        if burst is None or partial.score >= burst.score:
            burst = partial
    return burst


def _window(
    org_id: int, series: str, now: datetime
) -> list[tuple[int, str, float, float, str, str, str, int, int, bool, list[str]]]:
    return list(
        Mention.objects.filter(
            _series_filter(series),
            organization_id=org_id,
            posted_at__gt=now - CONTENT_WINDOW,
            posted_at__lte=now,
        ).values_list(
            "post_id",
            "post__text",
            "risk",
            "post__toxicity",
            "post__origin",
            "post__url",
            "post__author",
            "post__author_followers",
            "post__reposts",
            "negative",
            "categories",
        )[:5000]
    )


def _content_signals(org_id: int, series: str, now: datetime) -> ContentSignals:
    rows = {row[0]: row for row in _window(org_id, series, now)}.values()
    if not rows:
        return ContentSignals()
    n = len(rows)
    categories: dict[str, int] = defaultdict(int)
    for row in rows:
        for code in row[10]:
            categories[code] += 1
    kinds = [site_kind(row[4], row[5]) for row in rows]
    return ContentSignals(
        post_count=n,
        negative_share=sum(1 for row in rows if row[9]) / n,
        top_categories=dict(categories),
        mean_toxicity=min(1.0, sum(row[3] for row in rows) / n),
        max_risk=min(1.0, max(row[2] for row in rows)),
        aggregator_share=kinds.count("aggregator") / n,
        news_share=kinds.count("news") / n,
        max_author_followers=max((row[7] or 0) for row in rows),
        reposts_velocity=sum((row[8] or 0) for row in rows) / (CONTENT_WINDOW.total_seconds() / 3600),
        distinct_authors=len({row[6] for row in rows if row[6]}),
    )


def _first_posts(org_id: int, series: str, now: datetime) -> list[FirstPost]:
    if series == "org":
        return []
    rows = (
        Mention.objects.filter(_series_filter(series), organization_id=org_id, posted_at__lte=now)
        .order_by("posted_at", "id")
        .values_list("post_id", "post__text", "posted_at", "post__author_followers", "post__reposts", "risk")[
            :50
        ]
    )
    return [
        FirstPost(str(pk), text[:80], posted_at, followers or 0, reposts or 0, min(1.0, risk))
        for pk, text, posted_at, followers, reposts, risk in rows
    ]
