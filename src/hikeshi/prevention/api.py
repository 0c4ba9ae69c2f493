"""REST routes of the prevention app, mounted under /api/v1/ by hikeshi.api.routes."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from hikeshi.api.auth import access_org_by_api
from hikeshi.core.highlight import judgement_segments
from hikeshi.prevention.actions import MAX_DRAFT_CHARS, analyze_draft, guideline_citations
from hikeshi.prevention.photos import MAX_PHOTO_BYTES, PhotoError, inspect_photo, strip_metadata

router = Router(tags=["prevention"])


class CheckIn(Schema):
    text: str = ""
    photo_base64: str | None = None
    strip_photo: bool = False


class SegmentOut(Schema):
    text: str
    code: str | None = None
    reason: str | None = None


class CitationOut(Schema):
    category: str
    citations: list[str]
    headings: list[str]


class PhotoOut(Schema):
    format: str
    width: int
    height: int
    has_exif: bool
    has_gps: bool
    latitude: float | None = None
    longitude: float | None = None
    stripped_base64: str | None = None
    stripped_content_type: str | None = None


class CheckOut(Schema):
    judgement: dict[str, Any] | None = None
    segments: list[SegmentOut] = Field(default_factory=list)
    citations: list[CitationOut] = Field(default_factory=list)
    photo: PhotoOut | None = None


@router.post(
    "/orgs/{org}/prevention/check",
    response=CheckOut,
    summary="Pre-post check of a draft and an optional photo (nothing is stored)",
)
def check(request: HttpRequest, org: str, payload: CheckIn) -> CheckOut:
    access = access_org_by_api(request, org).access
    text = payload.text.strip()
    if not text and not payload.photo_base64:
        raise HttpError(400, "text か photo_base64 のどちらかが必要です。")
    if len(text) > MAX_DRAFT_CHARS:
        raise HttpError(400, f"下書きは {MAX_DRAFT_CHARS} 文字以内にしてください。")
    result = CheckOut()
    if text:
        judgement = analyze_draft(access.organization, text)
        result.judgement = judgement
        result.segments = [
            SegmentOut(text=s.text, code=s.code, reason=s.reason) for s in judgement_segments(text, judgement)
        ]
        result.citations = [CitationOut(**c) for c in guideline_citations(access.organization, judgement)]
    if payload.photo_base64:
        if len(payload.photo_base64) > MAX_PHOTO_BYTES * 4 // 3 + 4:
            raise HttpError(400, f"写真は {MAX_PHOTO_BYTES // (1024 * 1024)}MB 以下にしてください。")
        try:
            data = base64.b64decode(payload.photo_base64, validate=True)
        except (binascii.Error, ValueError):
            raise HttpError(400, "photo_base64 が正しい Base64 ではありません。") from None
        try:
            photo = PhotoOut(**inspect_photo(data).to_dict())
            if payload.strip_photo:
                stripped, content_type = strip_metadata(data)
                photo.stripped_base64 = base64.b64encode(stripped).decode()
                photo.stripped_content_type = content_type
        except PhotoError as exc:
            raise HttpError(400, str(exc)) from None
        result.photo = photo
    return result
