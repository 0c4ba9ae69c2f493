"""PDF exports off the request path: approval and publication queue a background render; the export route serves
the kept file at once, or answers 202 with a page that reloads (and a way to wait instead); a stale file (edited
draft, new label) is never served; the render is idempotent; downloads are audited only when a file is served."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from hikeshi.audit.models import AuditEvent
from hikeshi.prevention.models import RenderedExport
from hikeshi.prevention.policy_actions import (
    do_approve,
    do_edit_clause,
    do_generate_documents,
    do_publish,
    do_render_export,
    export_version,
)
from hikeshi.prevention.tasks import render_policy_export
from tests.platform.conftest import Tenant
from tests.prevention.helpers import company_answers
from tests.prevention.pdftext import pdf_text

pytestmark = pytest.mark.django_db


def _export_url(version: Any, extra: str = "") -> str:
    return f"/o/alpha/prevention/policies/versions/{version.pk}/export/?format=pdf{extra}"


def test_publication_queues_a_render_and_the_route_serves_the_kept_file(
    alpha: Tenant, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(render_policy_export, "apply_async", lambda kwargs: queued.append(kwargs))
    draft = do_generate_documents(alpha.org, company_answers(), created_by=alpha.admin)["guideline"]
    with django_capture_on_commit_callbacks(execute=True):
        approved = do_approve(draft, approved_by=alpha.admin)
    with django_capture_on_commit_callbacks(execute=True):
        published = do_publish(approved)
    assert queued == [{"version_id": draft.pk, "fmt": "pdf"}] * 2  # the label changes on publication

    client = Client()
    client.force_login(alpha.employee)
    # Not rendered yet: 202 and a page that reloads; nothing is audited as downloaded.
    response = client.get(_export_url(published))
    assert response.status_code == 202 and 'data-testid="export-pending"' in response.content.decode()
    assert '<meta http-equiv="refresh"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()

    # The worker renders it (the task is what the queue runs); a redelivery renders nothing more.
    assert render_policy_export.apply(kwargs=queued[-1]).get() is True
    assert do_render_export(published.pk, "pdf") is False
    started = time.perf_counter()
    response = client.get(_export_url(published))
    served_in = time.perf_counter() - started
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert published.title in pdf_text(response.content).replace(" ", "")
    assert served_in < 1.0, f"a kept PDF is served without rendering ({served_in:.2f} s)"
    assert AuditEvent.objects.filter(action="export", actor=alpha.employee).count() == 1


def test_a_stale_file_is_never_served(alpha: Tenant) -> None:
    draft = do_generate_documents(alpha.org, company_answers(), created_by=alpha.admin)["guideline"]
    assert do_render_export(draft.pk, "pdf") is True
    edited = do_edit_clause(draft, key="purpose", heading="目的", text="改訂した目的の本文です。")
    client = Client()
    client.force_login(alpha.admin)
    assert client.get(_export_url(edited)).status_code == 202  # the kept file is of the text before the edit
    assert do_render_export(edited.pk, "pdf") is True
    assert RenderedExport.objects.filter(version=edited).count() == 1  # replaced, not added
    response = client.get(_export_url(edited))
    assert response.status_code == 200 and "改訂した目的の本文です" in pdf_text(response.content).replace(
        " ", ""
    )


def test_waiting_renders_in_the_request_and_other_formats_stay_inline(alpha: Tenant) -> None:
    draft = do_generate_documents(alpha.org, company_answers(), created_by=alpha.admin)["guideline"]
    client = Client()
    client.force_login(alpha.admin)
    pending = client.get(_export_url(draft)).content.decode()
    assert "wait=1" in pending
    response = client.get(_export_url(draft, "&wait=1"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    docx = client.get(f"/o/alpha/prevention/policies/versions/{draft.pk}/export/?format=docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    # The CLI and other callers wait by default.
    exported = export_version(draft, "pdf")
    assert exported is not None and exported[0].startswith(b"%PDF-")
