"""SNS利用実態調査: admins create a run from a template, send personal links and read the results (charts, CSV);
members answer through their own link."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.audit.actions import record
from hikeshi.prevention.content import SURVEY_IDS, load_survey
from hikeshi.prevention.models import SurveyEmploymentType, SurveyInvite, SurveyRun
from hikeshi.prevention.survey_actions import (
    do_close_run,
    do_create_run,
    do_send_run,
    do_submit_response,
    find_invite,
    parse_answers,
    preselected_employment_type,
    survey_content,
)
from hikeshi.prevention.survey_results import chart_context, results_csv, run_results
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view
from hikeshi.tenancy.models import OrganizationKind


class RunForm(forms.Form):
    template_id = forms.ChoiceField(label=_("調査票"), choices=())
    title = forms.CharField(label=_("調査名 (空欄なら調査票の名前)"), max_length=200, required=False)
    anonymous = forms.BooleanField(
        label=_("無記名で集計する (5人未満のグループは表示しません)"), required=False, initial=True
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["template_id"].choices = [(sid, load_survey(sid).title) for sid in SURVEY_IDS]  # type: ignore[attr-defined]


def _runs(access: OrgAccess):  # type: ignore[no-untyped-def]
    return SurveyRun.objects.for_org(access.organization)


@org_view(require="admin")
def survey_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    runs = _runs(access).annotate(
        invited=Count("invites"), answered=Count("invites", filter=Q(invites__responded=True))
    )
    school = access.organization.kind == OrganizationKind.SCHOOL
    form = RunForm(initial={"template_id": "students" if school else "employee", "anonymous": True})
    return render(request, "prevention/survey_list.html", {"runs": runs, "form": form})


@org_view(require="admin")
@require_POST
def survey_create(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, "調査票を選んでください。")
        return redirect("prevention:survey_list", access.organization.slug)
    run = do_create_run(
        access.organization,
        template_id=form.cleaned_data["template_id"],
        anonymous=form.cleaned_data["anonymous"],
        title=form.cleaned_data["title"],
        created_by=request.user,  # type: ignore[arg-type]
    )
    return redirect("prevention:survey_detail", access.organization.slug, run.pk)


@org_view(require="admin")
def survey_detail(request: HttpRequest, access: OrgAccess, run_id: int) -> HttpResponse:
    run = get_object_or_404(_runs(access), pk=run_id)
    context = chart_context(run_results(run))
    context.update(
        run=run,
        invited=run.invites.count(),
        answered=run.invites.filter(responded=True).count(),
    )
    return render(request, "prevention/survey_detail.html", context)


@org_view(require="admin")
@require_POST
def survey_send(request: HttpRequest, access: OrgAccess, run_id: int) -> HttpResponse:
    run = get_object_or_404(_runs(access), pk=run_id)
    try:
        count = do_send_run(run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{count}人に回答用のリンクをメールで送りました。")
    return redirect("prevention:survey_detail", access.organization.slug, run.pk)


@org_view(require="admin")
@require_POST
def survey_close(request: HttpRequest, access: OrgAccess, run_id: int) -> HttpResponse:
    run = get_object_or_404(_runs(access), pk=run_id)
    do_close_run(run)
    messages.success(request, "調査を締め切りました。")
    return redirect("prevention:survey_detail", access.organization.slug, run.pk)


@org_view(require="admin")
def survey_export(request: HttpRequest, access: OrgAccess, run_id: int) -> HttpResponse:
    run = get_object_or_404(_runs(access), pk=run_id)
    data = results_csv(run_results(run))
    record(
        "export",
        organization=access.organization,
        obj=run,
        changes={"format": "csv", "anonymous": run.anonymous},
    )
    # A BOM so that Excel opens the Japanese text as UTF-8.
    response = HttpResponse("\ufeff" + data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-{run.pk}.csv"'
    return response


@org_view()
@require_http_methods(["GET", "POST"])
def survey_respond(request: HttpRequest, access: OrgAccess, token: str) -> HttpResponse:
    """The personal link from the e-mail."""
    invite = find_invite(access.organization, token, request.user)  # type: ignore[arg-type]
    if invite is None:
        raise Http404("no such survey link for this member")
    return _respond(request, access, invite)


@org_view()
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, access: OrgAccess, run_id: int) -> HttpResponse:
    """The same form reached from "my tasks" or a reminder: only for a member invited to the run."""
    invite = get_object_or_404(
        SurveyInvite.objects.for_org(access.organization).select_related("run"),
        run_id=run_id,
        user=request.user,
    )
    return _respond(request, access, invite)


def _respond(request: HttpRequest, access: OrgAccess, invite: SurveyInvite) -> HttpResponse:
    run = invite.run
    survey = survey_content(run)
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    if request.method == "POST" and not invite.responded and run.closed_at is None:
        answers, errors = parse_answers(survey, request.POST)
        employment_type = request.POST.get("employment_type", "")
        if employment_type not in SurveyEmploymentType.values:
            errors["employment_type"] = "雇用形態・立場を選んでください。"
        if not errors:
            try:
                do_submit_response(invite, answers, employment_type=employment_type)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, "回答を受け付けました。ご協力ありがとうございました。")
            return redirect(request.path)
        values = {key: request.POST.getlist(key) for key in request.POST}
    questions = [
        {
            "q": q,
            "error": errors.get(q.id),
            "values": [str(v) for v in values.get(f"a_{q.id}", [])],  # type: ignore[attr-defined]
            "points": [str(p) for p in range(q.scale[0], q.scale[1] + 1)] if q.scale else [],
        }
        for q in survey.questions
    ]
    if request.method == "POST":
        employment_value = request.POST.get("employment_type", "")
    else:
        employment_value = preselected_employment_type(access.organization, request.user)  # type: ignore[arg-type]
    context = {
        "run": run,
        "survey": survey,
        "invite": invite,
        "questions": questions,
        "employment_types": SurveyEmploymentType.choices,
        "employment_error": errors.get("employment_type"),
        "employment_value": employment_value,
    }
    return render(request, "prevention/survey_respond.html", context)
