"""Parsing uploaded files of posts (CSV or JSON Lines). Bad rows are reported by line; the rest import."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from hikeshi.ingest.items import ENGAGEMENT_FIELDS, Engagement, IngestedItem, safe_http_url

JST = timezone(timedelta(hours=9), "JST")
MAX_TEXT_CHARS = 20_000
MAX_ID_CHARS = 1000
"""Post ids (and the ``reply_to`` ids that point at them) are stored up to this length."""
# Japanese exports often use Japanese headers; map them onto the field names.
_HEADER_ALIASES = {
    "本文": "text",
    "テキスト": "text",
    "content": "text",
    "body": "text",
    "投稿日時": "created_at",
    "日時": "created_at",
    "date": "created_at",
    "published": "created_at",
    "投稿者": "author",
    "user": "author",
    "username": "author",
    "link": "url",
    "リツイート数": "reposts",
    "retweets": "reposts",
    "いいね数": "likes",
    "favorites": "likes",
    "返信数": "replies",
    "フォロワー数": "author_followers",
    "followers": "author_followers",
    "媒体": "source",
    "返信先": "reply_to",
    "in_reply_to": "reply_to",
    "in_reply_to_id": "reply_to",
    "in_reply_to_status_id": "reply_to",
    "quoted_id": "reply_to",
}
_DATE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    """1-based line number in the file where the bad record starts."""
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class ImportResult:
    items: list[IngestedItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    encoding: str = "utf-8"


class _RowProblem(ValueError):
    pass


def decode_import(data: bytes) -> tuple[str, str]:
    """(text, encoding) for an uploaded file: UTF-8 with or without BOM, else CP932 (Excel's Shift_JIS).

    If neither decodes cleanly the text is decoded as UTF-8 with U+FFFD marks, which callers report per line.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    for codec in ("utf-8", "cp932"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), "utf-8 (with undecodable bytes)"


def parse_datetime(value: str, default_tz: tzinfo = JST) -> datetime:
    """ISO 8601, 2024/01/02 10:00[:00], 2024年1月2日, or epoch seconds/milliseconds → aware UTC datetime."""
    text = value.strip()
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz=UTC)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for pattern in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        raise _RowProblem(f"created_at {value!r} is not a date/time this importer understands")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed.astimezone(UTC)


def _count(name: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _RowProblem(f"{name} must be a non-negative integer, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().replace(",", "").isdigit():
        number = int(value.strip().replace(",", ""))
    else:
        raise _RowProblem(f"{name} must be a non-negative integer, got {value!r}")
    if number < 0:
        raise _RowProblem(f"{name} must be a non-negative integer, got {value!r}")
    return number


def _optional_text(name: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _RowProblem(f"{name} must be text, got {type(value).__name__}")
    return value.strip() or None


def row_to_item(row: Mapping[str, object], *, default_source: str | None, default_tz: tzinfo) -> IngestedItem:
    """One record (header names already normalised) → item. Raises ValueError with a clear message."""
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _RowProblem(
            "missing required field 'text'" if text in (None, "") else "'text' must be non-empty text"
        )
    if "\ufffd" in text:
        raise _RowProblem("text contains bytes that are neither UTF-8 nor CP932 (Shift_JIS)")
    if len(text) > MAX_TEXT_CHARS:
        raise _RowProblem(f"text is {len(text)} characters, over the limit of {MAX_TEXT_CHARS}")
    created_raw = _optional_text("created_at", row.get("created_at"))
    published = parse_datetime(created_raw, default_tz) if created_raw else None
    url_raw = _optional_text("url", row.get("url"))
    url = safe_http_url(url_raw)
    if url_raw and url is None:
        raise _RowProblem(f"url {url_raw!r} is not an http(s) address")
    author = _optional_text("author", row.get("author"))
    counts = {name: _count(name, row.get(name)) for name in ENGAGEMENT_FIELDS}
    source = _optional_text("source", row.get("source")) or default_source
    row_id = _optional_text("id", row.get("id"))
    reply_to = _optional_text("reply_to", row.get("reply_to"))
    if reply_to is not None and len(reply_to) > MAX_ID_CHARS:
        raise _RowProblem(f"reply_to is {len(reply_to)} characters, over the limit of {MAX_ID_CHARS}")
    if row_id is None:
        # Stable across re-imports of the same file, so re-importing does not duplicate.
        basis = f"{text}\n{created_raw or ''}\n{author or ''}\n{url or ''}"
        row_id = "sha256:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]
    return IngestedItem(
        source_id=row_id,
        text=text.strip(),
        url=url,
        author=author,
        published=published,
        engagement=Engagement(**counts),
        source=source,
        reply_to=reply_to,
    )


def _normalise_header(name: str) -> str:
    cleaned = name.strip().lstrip("\ufeff").strip().lower()
    return _HEADER_ALIASES.get(cleaned, cleaned)


def _csv_records(text: str, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    while True:
        start = previous_end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(RowError(start, f"unreadable CSV: {exc}"))
            previous_end = reader.line_num
            continue
        previous_end = reader.line_num
        yield start, record


def parse_csv(data: bytes, *, default_source: str | None = None, default_tz: tzinfo = JST) -> ImportResult:
    """CSV with a header row naming at least ``text``. Line numbers count physical lines from 1."""
    text, encoding = decode_import(data)
    result = ImportResult(encoding=encoding)
    records = _csv_records(text, result.errors)
    header: list[str] | None = None
    for line, record in records:
        if header is None:
            header = [_normalise_header(name) for name in record]
            if "text" not in header:
                result.errors.append(
                    RowError(line, f"header has no 'text' column (columns: {', '.join(header)})")
                )
                return result
            continue
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            result.errors.append(RowError(line, f"{len(record)} fields but the header has {len(header)}"))
            continue
        row = dict(zip(header, record, strict=False))
        try:
            result.items.append(row_to_item(row, default_source=default_source, default_tz=default_tz))
        except ValueError as exc:
            result.errors.append(RowError(line, str(exc)))
    if header is None:
        result.errors.append(RowError(1, "the file is empty"))
    return result


def parse_jsonl(data: bytes, *, default_source: str | None = None, default_tz: tzinfo = JST) -> ImportResult:
    """JSON Lines: one object per line with at least ``text``. Blank lines are skipped."""
    text, encoding = decode_import(data)
    result = ImportResult(encoding=encoding)
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            result.errors.append(RowError(line_number, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(record, dict):
            result.errors.append(
                RowError(line_number, f"expected a JSON object, got {type(record).__name__}")
            )
            continue
        row = {_normalise_header(str(key)): value for key, value in record.items()}
        try:
            result.items.append(row_to_item(row, default_source=default_source, default_tz=default_tz))
        except ValueError as exc:
            result.errors.append(RowError(line_number, str(exc)))
    return result


def parse_import(data: bytes, filename: str, *, default_source: str | None = None) -> ImportResult:
    """Dispatch on the file name: ``.csv`` → CSV, ``.jsonl``/``.ndjson``/``.json`` → JSON Lines."""
    lowered = filename.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return parse_jsonl(data, default_source=default_source)
    if lowered.endswith((".csv", ".txt", ".tsv")):
        return parse_csv(data, default_source=default_source)
    raise ValueError(f"unsupported import file type: {filename!r} (use .csv or .jsonl)")
