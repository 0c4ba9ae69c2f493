"""RSS / Atom feeds → :class:`IngestedItem` list. Malformed feeds are salvaged, never fatal."""

from __future__ import annotations

import calendar
import hashlib
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from hikeshi.ingest.htmltext import html_to_text
from hikeshi.ingest.items import Engagement, IngestedItem, safe_http_url


@dataclass(frozen=True, slots=True)
class FeedParseResult:
    items: list[IngestedItem]
    title: str = ""
    link: str | None = None
    problems: list[str] = field(default_factory=list)
    """Human-readable notes: feedparser's bozo reason, skipped entries. Empty for a clean feed."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _struct_to_utc(value: object) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        # feedparser normalises parsed dates to UTC struct_time.
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, str):
        cleaned = value.strip().replace(",", "")
        if cleaned.isdigit():
            return int(cleaned)
    return None


def _engagement(entry: Mapping[str, Any]) -> Engagement:
    replies = _int_or_none(entry.get("slash_comments")) or _int_or_none(entry.get("thr_total"))
    stats = entry.get("media_statistics")
    views = _int_or_none(stats.get("views")) if isinstance(stats, Mapping) else None
    return Engagement(replies=replies, views=views)


def _entry_text(entry: Mapping[str, Any]) -> str:
    contents = entry.get("content")
    if isinstance(contents, list):
        values = [c.get("value", "") for c in contents if isinstance(c, Mapping)]
        html = max((v for v in values if isinstance(v, str)), key=len, default="")
        if html:
            return html_to_text(html)
    summary = entry.get("summary")
    return html_to_text(summary) if isinstance(summary, str) else ""


def _text_field(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) else ""


def _reply_ref(entry: Any, source_id: str) -> str | None:
    """The id of the entry this one answers (Atom threading, RFC 4685 ``<thr:in-reply-to ref>``: comment
    feeds), as the parent's own ``<id>`` — its source id when it is in the same feed."""
    ref = entry.get("thr_in-reply-to")
    value = ref.get("ref") if isinstance(ref, dict) else None
    if not isinstance(value, str) or not value.strip() or len(value) > 1000 or value.strip() == source_id:
        return None
    return value.strip()


def parse_feed(
    data: bytes, *, http_charset: str | None = None, base_url: str | None = None
) -> FeedParseResult:
    """Parse feed bytes. Never raises for bad content: problems are listed on the result."""
    headers: dict[str, str] = {}
    if http_charset:
        headers["content-type"] = f"application/xml; charset={http_charset}"
    # A BytesIO, not raw bytes/str: feedparser treats strings as URLs or file names to open.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=True)
    problems: list[str] = []
    if parsed.get("bozo"):
        problems.append(f"malformed feed: {parsed.get('bozo_exception')!s}")
    items: list[IngestedItem] = []
    seen: set[str] = set()
    for index, entry in enumerate(parsed.get("entries", [])):
        link = _text_field(entry, "link")
        if link and base_url:
            # Only links are resolved against the feed's address; ids stay exactly as the feed wrote them.
            link = urljoin(base_url, link)
        title = html_to_text(_text_field(entry, "title"))
        text = _entry_text(entry)
        published = _struct_to_utc(entry.get("published_parsed")) or _struct_to_utc(
            entry.get("updated_parsed")
        )
        source_id = _text_field(entry, "id") or link
        if not source_id:
            if not (title or text):
                problems.append(f"entry {index + 1}: no id, link, title or text; skipped")
                continue
            # Stable id from content so the same entry is recognised on the next fetch.
            digest = hashlib.sha256(f"{title}\n{text}\n{published}".encode()).hexdigest()[:32]
            source_id = f"sha256:{digest}"
        if source_id in seen:
            problems.append(f"entry {index + 1}: duplicate id {source_id!r} in the same feed; skipped")
            continue
        seen.add(source_id)
        author = _text_field(entry, "author") or None
        items.append(
            IngestedItem(
                source_id=source_id,
                title=title,
                text=text or title,
                url=safe_http_url(link),
                author=author,
                published=published,
                engagement=_engagement(entry),
                reply_to=_reply_ref(entry, source_id),
            )
        )
    feed_info = parsed.get("feed", {})
    if not items and not parsed.get("version") and parsed.get("bozo"):
        problems.append("no feed entries could be read; is this really RSS or Atom?")
    return FeedParseResult(
        items=items,
        title=html_to_text(_text_field(feed_info, "title")),
        link=_text_field(feed_info, "link") or None,
        problems=problems,
    )
