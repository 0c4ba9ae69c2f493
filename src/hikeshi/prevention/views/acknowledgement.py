"""同意: each member acknowledges the published policy and guideline; admins see who has and who has not."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from hikeshi.prevention.models import ACKNOWLEDGED_DOCS, Acknowledgement, PolicyVersion, VersionState
from hikeshi.prevention.policy_actions import do_acknowledge, pending_acknowledgements, version_label
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view
from hikeshi.tenancy.models import Membership


def _published(access: OrgAccess):  # type: ignore[no-untyped-def]
    return (
        PolicyVersion.objects.for_org(access.organization)
        .filter(state=VersionState.PUBLISHED, document__doc__in=ACKNOWLEDGED_DOCS)
        .select_related("document")
        .order_by("document__doc")
    )


@org_view()
@require_http_methods(["GET", "POST"])
def my_acknowledgements(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    if request.method == "POST":
        version = get_object_or_404(_published(access), pk=request.POST.get("version_id") or 0)
        if request.POST.get("agree") != "1":
            messages.error(request, "内容を読み、同意する場合はチェックを入れてください。")
        else:
            try:
                do_acknowledge(version, request.user)  # type: ignore[arg-type]
                messages.success(request, f"「{version.title}」に同意しました。")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        return redirect("prevention:acknowledgements", access.organization.slug)
    pending = pending_acknowledgements(access.organization, request.user)  # type: ignore[arg-type]
    done = (
        Acknowledgement.objects.for_org(access.organization)
        .filter(user=request.user)
        .select_related("version", "version__document")
        .order_by("-acknowledged_at")
    )
    context = {"pending": [(v, version_label(v)) for v in pending], "done": done}
    return render(request, "prevention/acknowledgements.html", context)


@org_view(require="admin")
def acknowledgement_status(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    versions = list(_published(access))
    members = list(
        Membership.objects.filter(organization=access.organization)
        .select_related("user")
        .order_by("department", "user__email")
    )
    acknowledged = {
        (version_id, user_id): at
        for version_id, user_id, at in Acknowledgement.objects.for_org(access.organization)
        .filter(version__in=versions)
        .values_list("version_id", "user_id", "acknowledged_at")
    }
    tables = []
    for version in versions:
        rows = [(m, acknowledged.get((version.pk, m.user_id))) for m in members]
        done = sum(1 for _m, at in rows if at)
        tables.append({"version": version, "label": version_label(version), "rows": rows, "done": done})
    return render(
        request, "prevention/acknowledgement_status.html", {"tables": tables, "total": len(members)}
    )
