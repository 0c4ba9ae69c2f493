"""JSON form of a mention: the post, the rule that found it and the judgement (org-specific if any)."""

from __future__ import annotations

from typing import Any

from hikeshi.monitoring.models import Mention


def mention_json(mention: Mention) -> dict[str, Any]:
    post = mention.post
    return {
        "id": post.pk,
        "source_key": post.source_key,
        "source_id": post.source_id,
        "text": post.text,
        "title": post.title,
        "url": post.url or None,
        "author": post.author or None,
        "published_at": post.published_at.isoformat(),
        "engagement": {
            name: value
            for name in ("reposts", "likes", "replies", "author_followers", "views")
            if (value := getattr(post, name)) is not None
        },
        "copy_of": post.copy_of_id,
        "reply_to": post.reply_to or None,
        "rule": mention.rule.name if mention.rule_id and mention.rule else None,
        "topic": mention.topic_id,
        "judgement": mention.judgement or post.judgement,
    }
