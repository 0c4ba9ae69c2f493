from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hikeshi.audit.models import AuditAction, AuditEvent
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view

PAGE_SIZE = 50


@org_view(require="admin")
def audit_log(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    events = AuditEvent.objects.filter(organization=access.organization).select_related("actor")
    action = request.GET.get("action", "")
    if action in AuditAction.values:
        events = events.filter(action=action)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "audit/_rows.html" if request.htmx else "audit/log.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "actions": AuditAction.choices, "action": action})
