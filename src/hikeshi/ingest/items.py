"""The item every source kind produces: one post, comment, article or imported row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

ENGAGEMENT_FIELDS = ("reposts", "likes", "replies", "author_followers", "views")


@dataclass(frozen=True, slots=True)
class Engagement:
    """Counts as reported by the source; None where the source does not say."""

    reposts: int | None = None
    likes: int | None = None
    replies: int | None = None
    author_followers: int | None = None
    views: int | None = None

    def to_dict(self) -> dict[str, int]:
        return {name: value for name in ENGAGEMENT_FIELDS if (value := getattr(self, name)) is not None}

    def is_empty(self) -> bool:
        return not self.to_dict()


@dataclass(frozen=True, slots=True)
class IngestedItem:
    """A post as ingested. ``source_id`` is unique within its source (guid, link, レス number, row id)."""

    source_id: str
    text: str
    title: str = ""
    url: str | None = None
    author: str | None = None
    published: datetime | None = None
    """Timezone-aware, UTC."""
    engagement: Engagement = field(default_factory=Engagement)
    source: str | None = None
    """Where the item came from when the source itself says (e.g. a ``source`` column in an import)."""
    reply_to: str | None = None
    """The ``source_id`` of the post, in the same source, that this one answers, quotes or comments on
    (an export's in-reply-to id, a board レス's >>N anchor). It puts the reply in its parent's topic."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (datetimes as ISO 8601)."""
        return {
            "source_id": self.source_id,
            "text": self.text,
            "title": self.title,
            "url": self.url,
            "author": self.author,
            "published": self.published.isoformat() if self.published else None,
            "engagement": self.engagement.to_dict(),
            "source": self.source,
            "reply_to": self.reply_to,
        }


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""What no database stores as text: NUL (PostgreSQL refuses it in text and JSON) and lone surrogates
(not encodable as UTF-8: a Python string holds them when a JSON document says ``"\\ud800"``)."""


def storable(value: str) -> str:
    """``value`` without NUL and with each lone surrogate replaced by U+FFFD."""
    if _UNSTORABLE.search(value) is None:
        return value
    return _UNSTORABLE.sub(lambda match: "" if match.group() == "\x00" else "\ufffd", value)


def with_storable_text(item: IngestedItem) -> IngestedItem:
    """``item`` with every text field :func:`storable`. One such character in one field of a stranger's
    post made the whole batch's insert fail (and the item itself, and its dead letter on PostgreSQL)."""
    texts = (item.source_id, item.text, item.title, item.url, item.author, item.source, item.reply_to)
    if _UNSTORABLE.search("".join(filter(None, texts))) is None:  # one search: the common case
        return item

    def clean(value: str | None) -> str | None:
        return None if value is None else storable(value)

    return replace(
        item,
        source_id=storable(item.source_id),
        text=storable(item.text),
        title=storable(item.title),
        url=clean(item.url),
        author=clean(item.author),
        source=clean(item.source),
        reply_to=clean(item.reply_to),
    )


def safe_http_url(value: str | None) -> str | None:
    """``value`` if it is an absolute http(s) URL without control characters, else None.

    Links from feeds and pages are shown to users; ``javascript:`` and similar must never pass.
    """
    if not value:
        return None
    candidate = value.strip()
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in candidate) or len(candidate) > 4096:
        return None
    lowered = candidate.lower()
    if lowered.startswith(("http://", "https://")) and len(candidate) > len("https://"):
        return candidate
    return None
