from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hikeshi.audit.actions import record
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


EXPORT_MAX_ROWS = 100_000


def _csv_cell(value: object) -> str:
    # A cell starting with = + - @ is a formula in spreadsheet programs; neutralise it.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@org_view(require="admin")
def audit_export(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    """The organisation's audit log as CSV; the export itself is recorded in the log."""
    events = AuditEvent.objects.filter(organization=access.organization)[:EXPORT_MAX_ROWS]
    record(
        AuditAction.EXPORT,
        organization=access.organization,
        object_type="audit.AuditEvent",
        object_repr="CSV",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{access.organization.slug}-{stamp}.csv"'
    response.write("\ufeff")  # BOM so that Excel in Japan opens UTF-8 correctly
    writer = csv.writer(response)
    writer.writerow(["at", "actor", "action", "object_type", "object_id", "object", "changes", "ip_address"])
    for e in events.iterator():
        writer.writerow(
            [
                _csv_cell(x)
                for x in (
                    timezone.localtime(e.at).isoformat(),
                    e.actor_label,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.object_repr,
                    e.changes,
                    e.ip_address or "",
                )
            ]
        )
    return response
