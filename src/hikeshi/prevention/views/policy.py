"""Rule documents: the guided questionnaire, versions, clause editing, approval, publication and exports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.prevention.content import AnswersInvalid, validate_answers
from hikeshi.prevention.documents import clause_to_text
from hikeshi.prevention.exports import EXPORT_FORMATS, REVIEW_NOTE
from hikeshi.prevention.forms import ClauseForm, QuestionnaireForm
from hikeshi.prevention.models import (
    ACKNOWLEDGED_DOCS,
    DocCode,
    PolicyDocument,
    PolicyVersion,
    VersionState,
)
from hikeshi.prevention.policy_actions import (
    do_approve,
    do_edit_clause,
    do_generate_documents,
    do_publish,
    export_version,
    export_version_or_queue,
    version_label,
)
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


def _version_for(access: OrgAccess, version_id: int) -> PolicyVersion:
    """Staff see every version; employees only published versions of the documents addressed to them."""
    versions = PolicyVersion.objects.for_org(access.organization).select_related("document")
    version: PolicyVersion = get_object_or_404(versions, pk=version_id)
    if not access.is_staff and (
        version.state != VersionState.PUBLISHED or version.document.doc not in ACKNOWLEDGED_DOCS
    ):
        raise Http404("not available for this role")
    return version


@org_view()
def policy_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    documents = PolicyDocument.objects.for_org(access.organization).prefetch_related("versions")
    if not access.is_staff:
        documents = documents.filter(doc__in=ACKNOWLEDGED_DOCS)
    rows = []
    for document in sorted(documents, key=lambda d: list(DocCode.values).index(d.doc)):
        versions = list(document.versions.all())  # prefetched, newest first
        if not access.is_staff:
            versions = [v for v in versions if v.state == VersionState.PUBLISHED]
        rows.append({"document": document, "versions": versions})
    return render(request, "prevention/policy_list.html", {"rows": rows, "review_note": REVIEW_NOTE})


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    initial = {"org_name": access.organization.name}
    latest = PolicyVersion.objects.for_org(access.organization).order_by("-created_at").first()
    if latest is not None:
        initial.update(latest.answers)
    form = QuestionnaireForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        answers = form.answers()
        issues = validate_answers(answers)
        for issue in issues:
            form.add_error(issue.question_id if issue.question_id in form.fields else None, issue.message)
        if not issues:
            try:
                do_generate_documents(access.organization, answers, created_by=request.user)  # type: ignore[arg-type]
            except AnswersInvalid as exc:
                for issue in exc.issues:
                    form.add_error(None, f"{issue.question_id}: {issue.message}")
            else:
                messages.success(
                    request, "回答から4つの文書の下書きを作成しました。内容を確認して承認・公開してください。"
                )
                return redirect("prevention:policy_list", access.organization.slug)
    return render(request, "prevention/questionnaire.html", {"form": form})


@org_view()
def version_detail(request: HttpRequest, access: OrgAccess, version_id: int) -> HttpResponse:
    version = _version_for(access, version_id)
    context = {
        "version": version,
        "label": version_label(version),
        "formats": EXPORT_FORMATS,
        "review_note": REVIEW_NOTE,
        "can_edit": access.is_admin and version.state == VersionState.DRAFT,
        "acknowledgeable": version.state == VersionState.PUBLISHED
        and version.document.doc in ACKNOWLEDGED_DOCS,
    }
    return render(request, "prevention/version_detail.html", context)


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def clause_edit(request: HttpRequest, access: OrgAccess, version_id: int, clause_key: str) -> HttpResponse:
    version = _version_for(access, version_id)
    clause = next((c for c in version.clauses if c["key"] == clause_key), None)
    if clause is None:
        raise Http404("no such clause")
    form = ClauseForm(
        request.POST or None, initial={"heading": clause["heading"], "text": clause_to_text(clause)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            do_edit_clause(
                version, key=clause_key, heading=form.cleaned_data["heading"], text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{clause['citation']} を更新しました。")
            return redirect("prevention:version_detail", access.organization.slug, version.pk)
    return render(
        request, "prevention/clause_edit.html", {"version": version, "clause": clause, "form": form}
    )


@org_view(require="admin")
@require_POST
def version_approve(request: HttpRequest, access: OrgAccess, version_id: int) -> HttpResponse:
    version = _version_for(access, version_id)
    try:
        do_approve(version, approved_by=request.user)  # type: ignore[arg-type]
        messages.success(request, "承認しました。公開すると全員に同意を求めます。")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("prevention:version_detail", access.organization.slug, version.pk)


@org_view(require="admin")
@require_POST
def version_publish(request: HttpRequest, access: OrgAccess, version_id: int) -> HttpResponse:
    version = _version_for(access, version_id)
    try:
        do_publish(version)
        messages.success(request, "公開しました。")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("prevention:version_detail", access.organization.slug, version.pk)


@org_view()
def version_export(request: HttpRequest, access: OrgAccess, version_id: int) -> HttpResponse:
    version = _version_for(access, version_id)
    fmt = request.GET.get("format", "pdf")
    try:
        if request.GET.get("wait") == "1":
            exported: tuple[bytes, str, str] | None = export_version(version, fmt)
        else:
            exported = export_version_or_queue(version, fmt)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    if exported is None:
        # Being rendered in the background: this page reloads the same address until the file is there.
        context = {"version": version, "label": version_label(version), "format": fmt}
        return render(request, "prevention/export_pending.html", context, status=202)
    data, content_type, filename = exported
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
