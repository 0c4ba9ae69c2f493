"""Grouping an organisation's new mentions into topics (火種) with the ingest TopicIndex.

Each organisation has one TopicIndex whose JSON state lives on its MonitoringProfile; the profile row is
locked while the index is updated, so two workers cannot both add to it and lose each other's posts.
Only posts of mentions created in this batch are added, so a re-run batch does not grow topics twice.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from hikeshi.ingest.topics import TopicIndex
from hikeshi.monitoring.models import Mention, MonitoringProfile, Post, Topic

INDEX_MEMORY = timedelta(days=3)
"""Posts older than this stop attracting new ones (topics stay): bounds the state kept per organisation."""


def site_of(post: Post) -> str:
    """A short label of where the post was seen, for the topic's per-source counts."""
    if post.origin:
        return post.origin[:100]
    host = urlsplit(post.url).hostname if post.url else None
    return host or post.source_key.split(":", 1)[0]


def assign_topics(org_id: int, mentions: list[Mention]) -> None:
    profile, _ = MonitoringProfile.objects.select_for_update().get_or_create(organization_id=org_id)
    index = TopicIndex.from_state(profile.topic_state) if profile.topic_state else TopicIndex()
    posts: dict[int, Post] = {}
    for mention in mentions:
        posts.setdefault(mention.post_id, mention.post)
    ordered = sorted(posts.values(), key=lambda p: (p.published_at, p.pk))
    key_of_post: dict[int, str] = {}
    for post in ordered:
        assignment = index.add(site_of(post), str(post.pk), post.text, seen=post.published_at)
        key_of_post[post.pk] = assignment.topic_id
    keys = set(key_of_post.values())
    topics = {t.key: t for t in Topic.objects.filter(organization_id=org_id, key__in=keys)}
    changed: list[Topic] = []
    for key in keys:
        state = index.topics[key]
        topic = topics.get(key)
        if topic is None:
            topic = Topic.objects.create(
                organization_id=org_id,
                key=key,
                first_post_id=int(state.first_source_id),
                post_count=state.size,
                sources=state.sources,
                first_seen=state.first_seen,
                last_activity=state.last_seen,
            )
            topics[key] = topic
        else:
            topic.post_count = state.size
            topic.sources = state.sources
            topic.last_activity = max(topic.last_activity, state.last_seen)
            changed.append(topic)
    if changed:
        Topic.objects.bulk_update(changed, ["post_count", "sources", "last_activity"])
    for mention in mentions:
        mention.topic = topics[key_of_post[mention.post_id]]
    Mention.objects.bulk_update(mentions, ["topic"])
    latest = max((p.published_at for p in ordered), default=None)
    if latest is not None:
        cutoff = latest - INDEX_MEMORY
        index.prune(cutoff)
        for key in [k for k, t in index.topics.items() if t.last_seen < cutoff]:
            del index.topics[key]
    profile.topic_state = index.to_state()
    profile.save(update_fields=["topic_state"])
