"""REST routes of the prevention app, mounted under /api/v1/ by hikeshi.api.routes: the pre-post check, and
read-only training and survey figures for admins (survey results keep the page's anonymity threshold)."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from hikeshi.api.auth import access_org_by_api
from hikeshi.core.highlight import judgement_segments
from hikeshi.prevention.actions import MAX_DRAFT_CHARS, analyze_draft, guideline_citations
from hikeshi.prevention.api_schemas import (
    AssignmentOut,
    CheckIn,
    CheckOut,
    CitationOut,
    CompletionOut,
    CourseOut,
    GroupResultOut,
    OptionCountOut,
    PhotoOut,
    QuestionResultOut,
    SegmentOut,
    SurveyResultsOut,
    SurveyRunOut,
)
from hikeshi.prevention.models import Assignment, Course, SurveyRun
from hikeshi.prevention.photos import (
    PhotoError,
    inspect_photo,
    max_photo_bytes,
    strip_metadata,
    too_large_message,
)
from hikeshi.prevention.survey_results import MIN_GROUP, QuestionResult, run_results
from hikeshi.prevention.training_actions import do_seed_courses
from hikeshi.prevention.training_report import completion_by_department

router = Router(tags=["prevention"])

# Room in the check's JSON body besides the base64 photo: the draft (up to 4 bytes a character in UTF-8, more
# when escaped as \uXXXX) and the field names.
BODY_ALLOWANCE = 64 * 1024


def check_body_limit() -> int:
    return max_photo_bytes() * 4 // 3 + 4 + MAX_DRAFT_CHARS * 12 + BODY_ALLOWANCE


def body_up_to(limit: Callable[[], int]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let one route read a JSON body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (which stays the site-wide
    limit), and refuse a larger one with 413 and a message that names the photo limit."""

    def decorator(run: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(run)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            most = limit()
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
            if declared > most:
                return _too_large()
            if not hasattr(request, "_body") and not request._read_started:  # type: ignore[attr-defined]
                body = request.read(most + 1)
                if len(body) > most:
                    return _too_large()
                # Django keeps a body it has read in ``_body``; filling it here is what lets ninja parse a body
                # above the site-wide limit without Django reading the stream (and refusing it) a second time.
                request._body = body
                request._stream = io.BytesIO(body)
            response: HttpResponse = run(request, *args, **kwargs)
            return response

        return wrapper

    return decorator


def _too_large() -> JsonResponse:
    return JsonResponse(
        {"detail": too_large_message() + "（Base64 で送るため、本文はその約 4/3 倍まで）"}, status=413
    )


@router.post(
    "/orgs/{org}/prevention/check",
    response=CheckOut,
    summary="Pre-post check of a draft and an optional photo (nothing is stored)",
    description="The photo may be up to HIKESHI_PHOTO_MAX_MB (default 10 MB) before base64; a larger request "
    "is answered 413 with a Japanese `detail` that names the limit.",
)
@decorate_view(body_up_to(check_body_limit))
def check(request: HttpRequest, org: str, payload: CheckIn) -> CheckOut:
    access = access_org_by_api(request, org).access
    text = payload.text.strip()
    if not text and not payload.photo_base64:
        raise HttpError(400, "text か photo_base64 のどちらかが必要です。")
    if len(text) > MAX_DRAFT_CHARS:
        raise HttpError(400, f"下書きは {MAX_DRAFT_CHARS} 文字以内にしてください。")
    result = CheckOut()
    if text:
        judgement = analyze_draft(access.organization, text)
        result.judgement = judgement
        result.segments = [
            SegmentOut(text=s.text, code=s.code, reason=s.reason) for s in judgement_segments(text, judgement)
        ]
        result.citations = [CitationOut(**c) for c in guideline_citations(access.organization, judgement)]
    if payload.photo_base64:
        if len(payload.photo_base64) > max_photo_bytes() * 4 // 3 + 4:
            raise HttpError(413, too_large_message())
        try:
            data = base64.b64decode(payload.photo_base64, validate=True)
        except (binascii.Error, ValueError):
            raise HttpError(400, "photo_base64 が正しい Base64 ではありません。") from None
        try:
            photo = PhotoOut(**inspect_photo(data).to_dict())
            if payload.strip_photo:
                stripped, content_type = strip_metadata(data)
                photo.stripped_base64 = base64.b64encode(stripped).decode()
                photo.stripped_content_type = content_type
        except PhotoError as exc:
            raise HttpError(400, str(exc)) from None
        result.photo = photo
    return result


# --- training -------------------------------------------------------------------------------------------


@router.get(
    "/orgs/{org}/prevention/training/courses",
    response=list[CourseOut],
    summary="Training courses (the starter courses are set up on first use)",
)
def list_courses(request: HttpRequest, org: str) -> list[CourseOut]:
    access = access_org_by_api(request, org).access
    if not Course.objects.for_org(access.organization).exists():
        do_seed_courses(access.organization)  # as the training page does on first visit
    return [
        CourseOut(
            id=c.pk,
            content_id=c.content_id,
            title=c.title,
            pass_mark=c.pass_mark,
            max_attempts=c.max_attempts,
        )
        for c in Course.objects.for_org(access.organization).order_by("content_id")
    ]


@router.get(
    "/orgs/{org}/prevention/training/assignments",
    response=list[AssignmentOut],
    summary="Training assignments with enrolment and completion of their current cycle (admins)",
)
def list_assignments(request: HttpRequest, org: str) -> list[AssignmentOut]:
    access = access_org_by_api(request, org, require="admin").access
    current = Q(enrollments__cycle=F("cycle"))
    assignments = (
        Assignment.objects.for_org(access.organization)
        .select_related("course")
        .annotate(
            enrolled=Count("enrollments", filter=current),
            completed=Count("enrollments", filter=current & Q(enrollments__completed_at__isnull=False)),
        )
        .order_by("-created_at", "-pk")
    )
    return [
        AssignmentOut(
            id=a.pk,
            course_id=a.course_id,
            course_title=a.course.title,
            target=a.target,
            target_label=a.target_label,
            role=a.role,
            department=a.department,
            employment_type=a.employment_type,
            new_hire_days=a.new_hire_days,
            due_date=a.due_date,
            recurrence=a.recurrence,
            cycle=a.cycle,
            enrolled=a.enrolled,
            completed=a.completed,
        )
        for a in assignments
    ]


@router.get(
    "/orgs/{org}/prevention/training/completion",
    response=list[CompletionOut],
    summary="Completion per course and department, current cycle (admins; as `hikeshi training report`)",
)
def training_completion(request: HttpRequest, org: str) -> list[CompletionOut]:
    access = access_org_by_api(request, org, require="admin").access
    return [
        CompletionOut(**row.to_dict())
        for row in completion_by_department(access.organization, timezone.localdate())
    ]


# --- survey ---------------------------------------------------------------------------------------------


def _runs(access_org: Any) -> Any:
    return SurveyRun.objects.for_org(access_org).annotate(
        invited=Count("invites", distinct=True),
        answered=Count("invites", filter=Q(invites__responded=True), distinct=True),
    )


def _run_out(run: SurveyRun) -> SurveyRunOut:
    return SurveyRunOut(
        id=run.pk,
        template_id=run.template_id,
        title=run.title,
        anonymous=run.anonymous,
        created_at=run.created_at,
        sent_at=run.sent_at,
        closed_at=run.closed_at,
        invited=run.invited,  # type: ignore[attr-defined]
        answered=run.answered,  # type: ignore[attr-defined]
    )


def _question_out(q: QuestionResult) -> QuestionResultOut:
    return QuestionResultOut(
        id=q.id,
        text=q.text,
        type=q.type,
        options=[OptionCountOut(label=b.label, count=b.count, percent=b.percent) for b in q.bars],
        mean=q.mean,
        texts=q.texts,
    )


@router.get("/orgs/{org}/prevention/surveys", response=list[SurveyRunOut], summary="Survey runs (admins)")
def list_surveys(request: HttpRequest, org: str) -> list[SurveyRunOut]:
    access = access_org_by_api(request, org, require="admin").access
    return [_run_out(run) for run in _runs(access.organization).order_by("-created_at", "-pk")]


@router.get(
    "/orgs/{org}/prevention/surveys/{run_id}/results",
    response=SurveyResultsOut,
    summary="Aggregated results of a survey run (admins)",
    description="The same figures as the results page: in an anonymous run nothing is returned below "
    "`min_group` respondents, groups below it are left out, and so is the next smallest group while the "
    "hidden ones hold fewer than `min_group` together (else the total would give them away).",
)
def survey_results(request: HttpRequest, org: str, run_id: int) -> SurveyResultsOut:
    access = access_org_by_api(request, org, require="admin").access
    run = get_object_or_404(_runs(access.organization), pk=run_id)
    results = run_results(run)
    groups = [
        GroupResultOut(
            dimension=dimension,
            label=g.label,
            respondents=g.respondents,
            questions=[_question_out(q) for q in g.questions],
        )
        for dimension, group_list in results.groups.items()
        for g in group_list
    ]
    return SurveyResultsOut(
        run=_run_out(run),
        respondents=results.respondents,
        min_group=MIN_GROUP,
        suppressed=results.suppressed,
        overall=[_question_out(q) for q in results.overall],
        groups=groups,
        hidden=results.hidden,
    )
