"""Rule documents: questionnaire → drafts, clause editing, approval, publication, exports (PDF in Japanese), CLI."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pypdf import PdfReader

from hikeshi.audit.models import AuditEvent
from hikeshi.prevention.models import PolicyVersion, VersionState
from hikeshi.prevention.policy_actions import (
    do_approve,
    do_edit_clause,
    do_generate_documents,
    do_publish,
    do_render_export,
)
from tests.platform.conftest import Tenant
from tests.prevention.helpers import company_answers, publish_all
from tests.prevention.pdftext import pdf_text

pytestmark = pytest.mark.django_db


def _guideline(tenant: Tenant) -> PolicyVersion:
    return PolicyVersion.objects.get(organization=tenant.org, document__doc="guideline", state="draft")


def _questionnaire_post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "org_name": "アルファ株式会社",
        "kind": "company",
        "industry": "retail",
        "size": "50_299",
        "posters": ["full_time", "part_time"],
        "sensitive_info": ["customers", "famous_visitors"],
        "platforms": ["x", "instagram"],
        "pr_contact": "広報部",
    }
    data.update(overrides)
    return data


def test_questionnaire_page_creates_four_drafts(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.admin)
    assert (
        "組織の種類を選んでください"
        in client.get("/o/alpha/prevention/policies/questionnaire/").content.decode()
    )
    response = client.post("/o/alpha/prevention/policies/questionnaire/", _questionnaire_post())
    assert response.status_code == 302
    docs = set(PolicyVersion.objects.filter(organization=alpha.org).values_list("document__doc", flat=True))
    assert docs == {"policy", "guideline", "account-rules", "manual"}


def test_questionnaire_reports_missing_answers_per_question(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.admin)
    body = client.post(
        "/o/alpha/prevention/policies/questionnaire/", _questionnaire_post(pr_contact="")
    ).content
    assert "回答が必要です" in body.decode()
    # Only the tenant's own unchanged draft from the fixture exists.
    assert PolicyVersion.objects.filter(organization=alpha.org, document__doc="policy").count() == 1


def test_questionnaire_is_for_admins_only(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.employee)
    assert client.get("/o/alpha/prevention/policies/questionnaire/").status_code == 404


def test_regenerating_replaces_the_draft_but_never_a_published_version(alpha: Tenant) -> None:
    published = publish_all(alpha.org, alpha.admin)["guideline"]
    redo = do_generate_documents(alpha.org, company_answers(kind="shop_chain"), created_by=alpha.admin)
    again = do_generate_documents(alpha.org, company_answers(), created_by=alpha.admin)
    assert redo["guideline"].pk == again["guideline"].pk and again["guideline"].number == published.number + 1
    published.refresh_from_db()
    assert published.state == VersionState.PUBLISHED


def test_edit_clause_in_draft_then_approve_and_publish(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.admin)
    version = _guideline(alpha)
    url = f"/o/alpha/prevention/policies/versions/{version.pk}/"
    edit = client.post(
        url + "clauses/purpose/",
        {"heading": "目的", "text": "本ガイドラインは改訂された。\n- 第一号\n- 第二号\n\n第二段落。"},
    )
    assert edit.status_code == 302
    version.refresh_from_db()
    purpose = version.clauses[0]
    assert purpose["paragraphs"] == [
        {"text": "本ガイドラインは改訂された。", "items": ["第一号", "第二号"]},
        {"text": "第二段落。", "items": []},
    ]
    client.post(url + "approve/")
    version.refresh_from_db()
    assert version.state == VersionState.APPROVED and version.approved_by == alpha.admin
    # Approved text is frozen.
    assert client.post(url + "clauses/purpose/", {"heading": "目的", "text": "別の本文"}).status_code == 200
    version.refresh_from_db()
    assert version.clauses[0]["paragraphs"][0]["text"] == "本ガイドラインは改訂された。"
    client.post(url + "publish/")
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED and version.published_at is not None


def test_publish_requires_approval_and_retires_the_previous_version(alpha: Tenant) -> None:
    first = publish_all(alpha.org, alpha.admin)["guideline"]
    draft = do_generate_documents(alpha.org, company_answers(), created_by=alpha.admin)["guideline"]
    with pytest.raises(ValidationError):
        do_publish(draft)
    do_publish(do_approve(draft, approved_by=alpha.admin))
    first.refresh_from_db()
    assert first.state == VersionState.RETIRED


def test_clause_text_is_validated(alpha: Tenant) -> None:
    version = _guideline(alpha)
    with pytest.raises(ValidationError, match="空"):
        do_edit_clause(version, key="purpose", heading="目的", text="  ")
    with pytest.raises(ValidationError, match="本文が必要"):
        do_edit_clause(version, key="purpose", heading="目的", text="- 号だけ")


def test_pdf_export_embeds_japanese_font_and_is_audited(alpha: Tenant) -> None:
    version = publish_all(alpha.org, alpha.admin)["guideline"]
    do_render_export(version.pk, "pdf")  # what the worker does once the version is published
    client = Client()
    client.force_login(alpha.employee)
    response = client.get(f"/o/alpha/prevention/policies/versions/{version.pk}/export/?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = re.sub(r"\s+", "", pdf_text(response.content))
    customer_clause = next(c for c in version.clauses if c["key"] == "no_customer_info")
    assert version.title in text
    assert f"{customer_clause['citation'][len('ガイドライン') :]}（{customer_clause['heading']}）" in text
    assert re.sub(r"\s+", "", customer_clause["paragraphs"][0]["text"])[:30] in text
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptor = (
        next(iter(fonts.values())).get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    )
    assert any(key.startswith("/FontFile") for key in descriptor), "font must be embedded"
    assert len(response.content) < 2_000_000, "the font must be subset, not the whole 16 MB file"
    event = AuditEvent.objects.get(organization=alpha.org, action="export")
    assert event.actor == alpha.employee and event.changes["format"] == "pdf"


def test_docx_and_markdown_exports(alpha: Tenant) -> None:
    from docx import Document as WordDocument

    version = publish_all(alpha.org, alpha.admin)["manual"]
    client = Client()
    client.force_login(alpha.member)
    url = f"/o/alpha/prevention/policies/versions/{version.pk}/export/"
    docx = client.get(url + "?format=docx")
    paragraphs = [p.text for p in WordDocument(io.BytesIO(docx.content)).paragraphs]
    assert version.title in paragraphs and any(p.startswith("第1条") for p in paragraphs)
    markdown = client.get(url + "?format=md").content.decode()
    assert markdown.startswith(f"# {version.title}") and "顧問弁護士" in markdown
    assert client.get(url + "?format=exe").status_code == 400


def test_employee_sees_only_published_guideline_and_policy(alpha: Tenant) -> None:
    published = publish_all(alpha.org, alpha.admin)
    client = Client()
    client.force_login(alpha.employee)
    base = "/o/alpha/prevention/policies/versions/"
    assert client.get(f"{base}{published['guideline'].pk}/").status_code == 200
    assert client.get(f"{base}{published['manual'].pk}/").status_code == 404
    draft = do_generate_documents(alpha.org, company_answers(), created_by=alpha.admin)["guideline"]
    assert client.get(f"{base}{draft.pk}/").status_code == 404
    assert client.get(f"{base}{draft.pk}/approve/").status_code == 404


def test_cli_generate_and_export(alpha: Tenant, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(company_answers()), encoding="utf-8")
    out = io.StringIO()
    call_command("policy", "generate", "--org", "alpha", "--answers", str(answers), stdout=out)
    assert "guideline\tv1\tdraft" in out.getvalue()
    with pytest.raises(CommandError, match="no published version"):
        call_command("policy", "export", "--org", "alpha", "--doc", "guideline", "--format", "md", "-o", "x")
    target = tmp_path / "guideline.docx"
    call_command(
        "policy", "export", "--org", "alpha", "--doc", "guideline", "--format", "docx", "--version", "1",
        "-o", str(target), stdout=io.StringIO(),
    )  # fmt: skip
    assert target.read_bytes()[:2] == b"PK"
    assert AuditEvent.objects.filter(action="export", actor_label="cli").exists()


def test_cli_rejects_bad_answers(alpha: Tenant, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"org_name": "x", "kind": "castle"}), encoding="utf-8")
    with pytest.raises(CommandError, match="kind"):
        call_command("policy", "generate", "--org", "alpha", "--answers", str(bad))
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("policy", "generate", "--org", "alpha", "--answers", str(bad))
    with pytest.raises(CommandError, match="organisation not found"):
        call_command("policy", "generate", "--org", "nope", "--answers", str(bad))
