from __future__ import annotations

from datetime import timedelta

from django import forms
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from hikeshi.core.highlight import judgement_segments
from hikeshi.prevention.actions import MAX_DRAFT_CHARS, analyze_draft
from hikeshi.prevention.models import CheckTally
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


class DraftForm(forms.Form):
    text = forms.CharField(
        label=_("投稿する予定の文章"),
        max_length=MAX_DRAFT_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("ここに下書きを貼り付けてください")}),
    )


@org_view()
@require_http_methods(["GET", "POST"])
def prevention_home(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    form = DraftForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        judgement = analyze_draft(access.organization, text)
        context.update({"judgement": judgement, "segments": judgement_segments(text, judgement)})
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "prevention/_check_result.html", context)
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
