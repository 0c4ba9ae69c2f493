from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.response.actions import (
    do_add_timeline_entry,
    do_change_level,
    do_close_incident,
    do_open_incident,
)
from hikeshi.response.forms import IncidentForm, LevelForm, TimelineForm
from hikeshi.response.models import Incident
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


@org_view(require="staff")
@require_http_methods(["GET", "POST"])
def incident_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incident = do_open_incident(
            access.organization,
            title=form.cleaned_data["title"],
            level=form.cleaned_data["level"],
            summary=form.cleaned_data["summary"],
            opened_by=request.user,  # type: ignore[arg-type]
        )
        return redirect("response:incident_detail", org=access.organization.slug, incident_id=incident.pk)
    incidents = Incident.objects.for_org(access.organization).select_related("owner")
    return render(request, "response/incident_list.html", {"incidents": incidents, "form": form})


@org_view(require="staff")
def incident_detail(request: HttpRequest, access: OrgAccess, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.for_org(access.organization), pk=incident_id)
    context = {
        "incident": incident,
        "entries": incident.entries.select_related("author"),
        "timeline_form": TimelineForm(),
        "level_form": LevelForm(initial={"level": incident.level}),
    }
    template = "response/_timeline.html" if request.htmx else "response/incident_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@org_view(require="staff")
@require_POST
def incident_update(request: HttpRequest, access: OrgAccess, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.for_org(access.organization), pk=incident_id)
    user = request.user
    if "close" in request.POST:
        do_close_incident(incident, author=user)  # type: ignore[arg-type]
    elif "level" in request.POST:
        level_form = LevelForm(request.POST)
        if level_form.is_valid():
            do_change_level(incident, level=level_form.cleaned_data["level"], author=user)  # type: ignore[arg-type]
    else:
        form = TimelineForm(request.POST)
        if form.is_valid():
            do_add_timeline_entry(incident, text=form.cleaned_data["text"], author=user)  # type: ignore[arg-type]
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "response/_timeline.html",
            {
                "incident": incident,
                "entries": incident.entries.select_related("author"),
                "timeline_form": TimelineForm(),
            },
        )
    return redirect("response:incident_detail", org=access.organization.slug, incident_id=incident.pk)
