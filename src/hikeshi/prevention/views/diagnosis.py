"""炎上リスク診断: a readiness self-diagnosis scored per area with next steps. Nothing is stored, so the operator can
run it with a prospective client who has no organisation in hikeshi yet."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from hikeshi.prevention.content import load_diagnosis, score


class DiagnosisForm(forms.Form):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        diagnosis = load_diagnosis()
        labels = {area.id: area.label for area in diagnosis.areas}
        for question in diagnosis.questions:
            field = forms.ChoiceField(
                label=question.text,
                choices=[(option.id, option.label) for option in question.options],
                widget=forms.RadioSelect,
                error_messages={"required": "回答を選んでください。"},
            )
            field.area = labels[question.area]  # type: ignore[attr-defined]
            self.fields[question.id] = field


@login_required
@require_http_methods(["GET", "POST"])
def diagnosis(request: HttpRequest) -> HttpResponse:
    form = DiagnosisForm(request.POST if request.method == "POST" else None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        context["result"] = score(form.cleaned_data)
    return render(request, "prevention/diagnosis.html", context)
