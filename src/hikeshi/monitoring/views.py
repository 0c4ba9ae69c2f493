from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from hikeshi.core.highlight import judgement_segments
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view

MAX_POSTS = 200
MAX_POST_CHARS = 2000


class PostsForm(forms.Form):
    posts = forms.CharField(
        label=_("判定する投稿 (1行に1件、最大200件)"),
        max_length=MAX_POSTS * MAX_POST_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


@org_view(require="staff")
@require_http_methods(["GET", "POST"])
def monitoring_home(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    """Judge posts found elsewhere (pasted by an analyst) with the analysis engine."""
    form = PostsForm(request.POST or None)
    results = []
    if request.method == "POST" and form.is_valid():
        from hikeshi.analysis import get_analyzer

        lines = [line.strip()[:MAX_POST_CHARS] for line in form.cleaned_data["posts"].splitlines()]
        texts = [line for line in lines if line][:MAX_POSTS]
        judgements = [j.to_dict() for j in get_analyzer().analyze(texts)]
        ranked = sorted(zip(texts, judgements, strict=True), key=lambda pair: -float(pair[1]["risk"]))
        results = [{"judgement": j, "segments": judgement_segments(t, j)} for t, j in ranked]
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "monitoring/_results.html", {"results": results})
    return render(request, "monitoring/home.html", {"form": form, "results": results})
