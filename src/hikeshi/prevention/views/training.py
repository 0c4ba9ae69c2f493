"""教育・チェックテスト: my courses, lessons, the check test, results with the engine's feedback on
"would you post this?" drafts, certificates; for admins assignments and the completion dashboard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.prevention.certificates import certificate_pdf
from hikeshi.prevention.lesson_html import lesson_html
from hikeshi.prevention.models import Assignment, AssignmentTarget, Attempt, Course, Recurrence
from hikeshi.prevention.models.training import DEFAULT_NEW_HIRE_DAYS
from hikeshi.prevention.training_actions import (
    attempts_left,
    course_content,
    do_assign,
    do_grant_attempt,
    do_seed_courses,
    do_submit_attempt,
    open_enrollments,
    responses_from_form,
    starter_course_id,
)
from hikeshi.prevention.training_report import completion_by_department, members_out_of_attempts
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view
from hikeshi.tenancy.models import EmploymentType, Role


class AssignForm(forms.Form):
    course = forms.ModelChoiceField(label=_("講座"), queryset=Course.objects.none(), empty_label=None)
    target = forms.ChoiceField(label=_("対象"), choices=AssignmentTarget.choices)
    role = forms.ChoiceField(label=_("ロール (対象がロールのとき)"), choices=Role.choices, required=False)
    department = forms.CharField(label=_("部署 (対象が部署のとき)"), max_length=100, required=False)
    employment_type = forms.ChoiceField(
        label=_("雇用形態 (対象が雇用形態のとき)"), choices=EmploymentType.choices, required=False
    )
    new_hire_days = forms.IntegerField(
        label=_("入社・入学から何日以内を新規とするか (対象が新規入社・入学者のとき)"),
        min_value=1,
        max_value=730,
        initial=DEFAULT_NEW_HIRE_DAYS,
        required=False,
    )
    due_date = forms.DateField(label=_("期限"), widget=forms.DateInput(attrs={"type": "date"}))
    recurrence = forms.ChoiceField(label=_("繰り返し"), choices=Recurrence.choices)
    days_to_complete = forms.IntegerField(
        label=_("入会から期限までの日数 (入会時のとき)"), min_value=1, max_value=365, initial=14
    )

    def __init__(self, *args: Any, courses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]


def _courses(access: OrgAccess) -> Any:
    courses = Course.objects.for_org(access.organization)
    if not courses.exists():
        do_seed_courses(access.organization)
    return courses.order_by("content_id")


def _attempt_for(request: HttpRequest, access: OrgAccess, attempt_id: int) -> Attempt:
    """A member sees their own attempts only; admins see everyone's (for follow-up)."""
    attempts = Attempt.objects.for_org(access.organization).select_related("course")
    if not access.is_admin:
        attempts = attempts.filter(user=request.user)
    attempt: Attempt = get_object_or_404(attempts, pk=attempt_id)
    return attempt


@org_view()
def training_home(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    courses = list(_courses(access))
    starter = starter_course_id(access.organization)
    courses.sort(key=lambda c: c.content_id != starter)
    context: dict[str, Any] = {
        "courses": courses,
        "enrollments": list(open_enrollments(access.organization, request.user)),  # type: ignore[arg-type]
        "attempts": Attempt.objects.for_org(access.organization)
        .filter(user=request.user)
        .select_related("course")[:20],
        "today": timezone.localdate(),
    }
    if access.is_admin:
        starter_course = next((c for c in courses if c.content_id == starter), None)
        context["form"] = AssignForm(
            courses=Course.objects.for_org(access.organization),
            initial={"course": starter_course, "target": "all", "recurrence": "on_joining"},
        )
        context["assignments"] = (
            Assignment.objects.for_org(access.organization).select_related("course").order_by("-created_at")
        )
    return render(request, "prevention/training_home.html", context)


@org_view(require="admin")
@require_POST
def assign(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    form = AssignForm(request.POST, courses=Course.objects.for_org(access.organization))
    if form.is_valid():
        data = form.cleaned_data
        try:
            assignment = do_assign(
                data["course"],
                target=data["target"],
                due_date=data["due_date"],
                recurrence=data["recurrence"],
                role=data["role"] or "",
                department=data["department"] or "",
                employment_type=data["employment_type"] or "",
                new_hire_days=data["new_hire_days"] or DEFAULT_NEW_HIRE_DAYS,
                days_to_complete=data["days_to_complete"],
                created_by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            count = assignment.enrollments.count()
            messages.success(request, f"「{assignment.course.title}」を割り当てました（{count}人）。")
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, "割り当てできませんでした: " + " ".join(errors))
    return redirect("prevention:training", access.organization.slug)


@org_view()
def course_detail(request: HttpRequest, access: OrgAccess, course_id: int) -> HttpResponse:
    course = get_object_or_404(Course.objects.for_org(access.organization), pk=course_id)
    content = course_content(course)
    lessons = [(lesson, lesson_html(lesson.markdown)) for lesson in content.lessons]
    context = {
        "course": course,
        "content": content,
        "lessons": lessons,
        "attempts_left": attempts_left(course, request.user),  # type: ignore[arg-type]
    }
    return render(request, "prevention/course_detail.html", context)


@org_view()
@require_http_methods(["GET", "POST"])
def course_test(request: HttpRequest, access: OrgAccess, course_id: int) -> HttpResponse:
    course = get_object_or_404(Course.objects.for_org(access.organization), pk=course_id)
    content = course_content(course)
    if request.method == "POST":
        responses = responses_from_form(content, request.POST)
        try:
            graded = do_submit_attempt(course, request.user, responses)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("prevention:course_detail", access.organization.slug, course.pk)
        return redirect("prevention:attempt_detail", access.organization.slug, graded.attempt.pk)
    context = {
        "course": course,
        "questions": content.to_dict()["questions"],
        "attempts_left": attempts_left(course, request.user),  # type: ignore[arg-type]
    }
    return render(request, "prevention/course_test.html", context)


@org_view()
def attempt_detail(request: HttpRequest, access: OrgAccess, attempt_id: int) -> HttpResponse:
    from hikeshi.analysis import get_analyzer

    attempt = _attempt_for(request, access, attempt_id)
    content = course_content(attempt.course)
    rows = []
    for question in content.questions:
        response = attempt.answers.get(question.id)
        row: dict[str, Any] = {
            "question": question,
            "correct": question.id in attempt.answers and question.is_correct(response),
            "response": response,
        }
        if question.type == "post_or_not" and question.draft:
            # The engine's view of the same draft: what the pre-post checker would have said.
            row["engine"] = get_analyzer().analyze_one(question.draft)
        rows.append(row)
    context = {
        "attempt": attempt,
        "rows": rows,
        "own": attempt.user_id == request.user.pk,
        "attempts_left": attempts_left(attempt.course, attempt.user),
    }
    return render(request, "prevention/attempt_detail.html", context)


@org_view(require="admin")
@require_POST
def grant_attempt(request: HttpRequest, access: OrgAccess, attempt_id: int) -> HttpResponse:
    """One more attempt for the member who sat ``attempt_id``, once they have used theirs up."""
    attempt = _attempt_for(request, access, attempt_id)
    try:
        do_grant_attempt(attempt.course, attempt.user, granted_by=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{attempt.user} さんに受験回数を1回追加しました。")
    return redirect("prevention:attempt_detail", access.organization.slug, attempt.pk)


@org_view()
def certificate(request: HttpRequest, access: OrgAccess, attempt_id: int) -> HttpResponse:
    attempt = _attempt_for(request, access, attempt_id)
    if not attempt.passed:
        message = "合格した受験だけに修了証を発行します。"
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    data = certificate_pdf(attempt, learner_name=str(attempt.user))
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"certificate-{attempt.course.content_id}-{attempt.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@org_view(require="admin")
def dashboard(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    rows = completion_by_department(access.organization, timezone.localdate())
    context = {"rows": rows, "out_of_attempts": members_out_of_attempts(access.organization)}
    return render(request, "prevention/training_dashboard.html", context)
