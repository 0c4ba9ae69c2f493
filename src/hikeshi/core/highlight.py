"""Split a text into plain and highlighted segments from evidence spans, for templates to escape."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    text: str
    reason: str | None = None
    code: str | None = None


def segments(text: str, spans: Iterable[tuple[int, int, str, str]]) -> list[Segment]:
    """``spans`` are (start, end, reason, code); overlaps are merged into the earliest span."""
    result: list[Segment] = []
    cursor = 0
    for start, end, reason, code in sorted(spans, key=lambda s: (s[0], -s[1])):
        start, end = max(start, cursor), min(end, len(text))
        if start >= end:
            continue
        if start > cursor:
            result.append(Segment(text[cursor:start]))
        result.append(Segment(text[start:end], reason, code))
        cursor = end
    if cursor < len(text):
        result.append(Segment(text[cursor:]))
    return result


def judgement_segments(text: str, judgement: dict) -> list[Segment]:  # type: ignore[type-arg]
    spans = [
        (int(ev["start"]), int(ev["end"]), str(ev.get("reason", "")), str(cat["code"]))
        for cat in judgement.get("categories", [])
        for ev in cat.get("evidence", [])
    ]
    spans += [
        (int(p["start"]), int(p["end"]), f"個人情報: {p['type']}", "pii") for p in judgement.get("pii", [])
    ]
    return segments(text, spans)
