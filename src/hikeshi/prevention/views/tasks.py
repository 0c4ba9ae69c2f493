"""やること (my tasks): everything the prevention program asks of this member, on one page — documents to
acknowledge, courses to complete, surveys to answer. Only the member's own obligations are listed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hikeshi.prevention.models import Enrollment
from hikeshi.prevention.policy_actions import pending_acknowledgements, version_label
from hikeshi.prevention.survey_actions import pending_invites
from hikeshi.prevention.training_actions import open_enrollments
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


@org_view()
def my_tasks(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org, user = access.organization, request.user
    acknowledgements = [(v, version_label(v)) for v in pending_acknowledgements(org, user)]  # type: ignore[arg-type]
    # One row per course: a member enrolled in a course by two assignments has one thing to do.
    enrollments: dict[int, Enrollment] = {}
    for enrollment in open_enrollments(org, user).order_by("due_date"):  # type: ignore[arg-type]
        enrollments.setdefault(enrollment.assignment.course_id, enrollment)
    surveys = pending_invites(org, user)  # type: ignore[arg-type]
    context = {
        "acknowledgements": acknowledgements,
        "enrollments": list(enrollments.values()),
        "surveys": surveys,
        "total": len(acknowledgements) + len(enrollments) + len(surveys),
        "today": timezone.localdate(),
    }
    return render(request, "prevention/my_tasks.html", context)
