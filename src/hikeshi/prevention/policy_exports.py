"""PDF exports off the request path: a worker renders a version's PDF when it is approved or published and keeps
it (``RenderedExport``); the export route serves the kept file at once, or asks for a render and shows a page
that reloads until the file is there. Measured: 0.8–1.2 s of CPU per document, 2–4 s of wall time on a shared
machine, nearly all of it fontTools subsetting the 16 MB Noto Sans CJK font inside fpdf2 (see docs/prevention.md)."""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache
from django.db import IntegrityError, transaction

from hikeshi.prevention.content import Document
from hikeshi.prevention.exports import render_document
from hikeshi.prevention.models import PolicyVersion, RenderedExport

# Formats slow enough to render in the background; docx and Markdown take milliseconds and stay inline.
BACKGROUND_FORMATS = ("pdf",)
# Bumped when the PDF layout changes, so that files kept from the old layout are rendered again.
LAYOUT_REVISION = 1
# A render asked for within this many seconds is not queued again (the pending page reloads every few seconds).
PENDING_SECONDS = 120


def export_key(version: PolicyVersion, fmt: str, label: str) -> str:
    payload = json.dumps([version.content, label, fmt, LAYOUT_REVISION], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def kept_export(version: PolicyVersion, fmt: str, label: str) -> bytes | None:
    row = (
        RenderedExport.objects.filter(version=version, format=fmt, key=export_key(version, fmt, label))
        .only("data")
        .first()
    )
    return bytes(row.data) if row is not None else None


def request_render(version: PolicyVersion, fmt: str, label: str) -> bool:
    """Queue a background render unless one was queued for the same key a moment ago; True when queued."""
    from hikeshi.core.tasks import enqueue
    from hikeshi.prevention.tasks import render_policy_export

    if not cache.add(f"hikeshi:prevention:render:{export_key(version, fmt, label)}", 1, PENDING_SECONDS):
        return False
    enqueue(render_policy_export, version_id=version.pk, fmt=fmt)
    return True


def render_and_keep(version: PolicyVersion, fmt: str, label: str, document: Document) -> bool:
    """Render the file and keep it, unless the same file is kept already; True when it rendered. Idempotent:
    a redelivered task finds the file and does nothing, two workers racing keep one row."""
    key = export_key(version, fmt, label)
    if RenderedExport.objects.filter(version=version, format=fmt, key=key).exists():
        return False
    data = render_document(document, fmt, version_label=label)
    try:
        with transaction.atomic():
            RenderedExport.objects.update_or_create(
                version=version,
                format=fmt,
                defaults={"organization": version.organization, "key": key, "data": data},
            )
    except IntegrityError:
        return False  # another worker kept it first
    return True
