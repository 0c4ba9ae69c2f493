"""Exact duplicate detection and near-duplicate grouping of posts into topics (火種).

A spreading story arrives as the original post, reposts with "RT @user:" or 「引用」 prefixes,
copies on まとめ sites with 【悲報】 headings and added links, and small rewrites. Exact copies are
caught by a content key over the text with those decorations removed; rewrites by MinHash signatures
over character 3-grams (Japanese has no spaces, so words are not a reliable unit) and LSH banding,
which finds candidate neighbours without comparing against every earlier post.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hikeshi.ingest.normalize import normalize

_URL = re.compile(r"https?://[^\s<>\"'「」]+|www\.[^\s<>\"'「」]+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![A-Za-z0-9_])[@＠][A-Za-z0-9_]{1,30}")
_ANCHOR = re.compile(r"(?:>>|＞＞|≫)\d+(?:-\d+)?")
_HASHTAG_PREFIX = re.compile(r"^#\S+\s+")
_DECORATION = re.compile(
    r"^\s*(?:(?:RT|QT)\b[:：]?|【[^】]{1,12}】|\[[^\]]{1,12}\]|[「『]?引用[」』]?[:：]?|転載[:：]?|拡散希望[:：!！]?)\s*",
    re.IGNORECASE,
)


def strip_decorations(text: str) -> str:
    """Text with repost/quote prefixes, URLs, @mentions and >>anchors removed (whitespace kept)."""
    stripped = _URL.sub(" ", text)
    stripped = _MENTION.sub(" ", stripped)
    stripped = _ANCHOR.sub(" ", stripped)
    previous = None
    while previous != stripped:
        previous = stripped
        stripped = _DECORATION.sub("", stripped.lstrip(" :：\t\n"))
        stripped = _HASHTAG_PREFIX.sub("", stripped)
    return stripped


def content_form(text: str) -> str:
    """Normalised content used for duplicate detection."""
    return normalize(strip_decorations(text)).strip(_FORM_EDGES)


_FORM_EDGES = ":：-ー、。.,!！?？"


def content_form_and_normalized(text: str) -> tuple[str, str | None]:
    """``content_form(text)``, and ``normalize(text)`` when it came for free: most posts carry no
    decoration to strip, and then the content form is the normalised text trimmed (None otherwise).
    Callers that also route the text pass it to ``Router.route`` instead of normalising again."""
    stripped = strip_decorations(text)
    normalized = normalize(stripped)
    return normalized.strip(_FORM_EDGES), normalized if stripped == text else None


def content_key(text: str) -> str | None:
    """Hex digest identifying the content of ``text``; None when nothing is left after stripping."""
    form = content_form(text)
    if not form:
        return None
    return hashlib.blake2b(form.encode("utf-8"), digest_size=16).hexdigest()


def source_key(source: str, source_id: str) -> str:
    """Key for "the same item from the same source" (a feed re-serving an entry, a re-import)."""
    return hashlib.blake2b(f"{source}\x1f{source_id}".encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class DuplicateCheck:
    duplicate: bool
    reason: str | None
    """None for a new item, ``same-source-id`` or ``same-content``."""
    first: tuple[str, str] | None
    """(source, source_id) of the item first seen with this identity or content."""


class ExactDeduplicator:
    """Remembers source keys and content keys (bounded, oldest forgotten first). JSON-able state."""

    def __init__(self, max_entries: int = 200_000) -> None:
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._by_source: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._by_content: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def check(self, source: str, source_id: str, text: str) -> DuplicateCheck:
        """Classify the item and remember it. The same call with the same item twice reports a duplicate."""
        skey = source_key(source, source_id)
        if skey in self._by_source:
            return DuplicateCheck(True, "same-source-id", self._by_source[skey])
        self._remember(self._by_source, skey, (source, source_id))
        ckey = content_key(text)
        if ckey is not None:
            if ckey in self._by_content:
                return DuplicateCheck(True, "same-content", self._by_content[ckey])
            self._remember(self._by_content, ckey, (source, source_id))
        return DuplicateCheck(False, None, None)

    def _remember(self, store: OrderedDict[str, tuple[str, str]], key: str, value: tuple[str, str]) -> None:
        store[key] = value
        while len(store) > self.max_entries:
            store.popitem(last=False)

    def to_state(self) -> dict[str, Any]:
        return {
            "max_entries": self.max_entries,
            "by_source": [[k, *v] for k, v in self._by_source.items()],
            "by_content": [[k, *v] for k, v in self._by_content.items()],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ExactDeduplicator:
        dedup = cls(int(state.get("max_entries", 200_000)))
        for key, source, source_id in state.get("by_source", []):
            dedup._by_source[str(key)] = (str(source), str(source_id))
        for key, source, source_id in state.get("by_content", []):
            dedup._by_content[str(key)] = (str(source), str(source_id))
        return dedup
