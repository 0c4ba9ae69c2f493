"""投稿前チェック: a member pastes a draft (and optionally a photo) and sees what could start a fire, and why.
Neither the draft nor the photo is stored; the organisation sees only anonymous daily counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.core.highlight import judgement_segments
from hikeshi.prevention.actions import MAX_DRAFT_CHARS, analyze_draft, guideline_citations
from hikeshi.prevention.models import CheckTally
from hikeshi.prevention.photos import (
    PhotoError,
    inspect_photo,
    max_photo_bytes,
    strip_metadata,
    too_large_message,
)
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


class DraftForm(forms.Form):
    text = forms.CharField(
        label=_("投稿する予定の文章"),
        max_length=MAX_DRAFT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("ここに下書きを貼り付けてください")}),
    )
    photo = forms.FileField(
        label=_("添付する写真 (任意)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("text") or "").strip() and not data.get("photo"):
            raise forms.ValidationError(_("下書きを貼り付けるか、写真を選んでください。"))
        return data


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("写真"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
    )


def _read_photo(upload: UploadedFile) -> bytes:
    """The upload's bytes, refused by its size before it is read into memory (Django has already spooled a
    large one to a temporary file)."""
    if upload.size is not None and upload.size > max_photo_bytes():
        raise PhotoError(too_large_message())
    data: bytes = upload.read()
    return data


@org_view()
@require_http_methods(["GET", "POST"])
def prevention_home(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    form = DraftForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form, "photo_form": PhotoForm()}
    if request.method == "POST" and form.is_valid():
        text = (form.cleaned_data["text"] or "").strip()
        if text:
            judgement = analyze_draft(access.organization, text)
            context.update(
                judgement=judgement,
                segments=judgement_segments(text, judgement),
                citations=guideline_citations(access.organization, judgement),
            )
        if form.cleaned_data.get("photo"):
            try:
                context["photo"] = inspect_photo(_read_photo(form.cleaned_data["photo"]))
            except PhotoError as exc:
                context["photo_error"] = str(exc)
        context["checked"] = True
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "prevention/_check_result.html", context)
    elif request.method == "POST" and request.htmx:  # type: ignore[attr-defined]
        return render(request, "prevention/_check_result.html", {"form_errors": form.errors})
    if access.is_admin:
        since = timezone.localdate() - timedelta(days=30)
        context["tallies"] = (
            CheckTally.objects.for_org(access.organization)
            .filter(day__gte=since)
            .values("level")
            .annotate(total=Sum("count"))
            .order_by("level")
        )
    return render(request, "prevention/home.html", context)


@org_view()
@require_POST
def photo_strip(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    """The same photo with every metadata block (EXIF, GPS) removed, returned as a download and kept nowhere."""
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return HttpResponse("写真を選んでください。", status=400, content_type="text/plain; charset=utf-8")
    try:
        data, content_type = strip_metadata(_read_photo(form.cleaned_data["photo"]))
    except PhotoError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    extension = content_type.split("/")[1].replace("jpeg", "jpg")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="photo-no-location.{extension}"'
    response["Cache-Control"] = "no-store"
    return response
