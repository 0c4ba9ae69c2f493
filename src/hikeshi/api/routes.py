"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Router

from hikeshi import __version__
from hikeshi.alerts.api import router as alerts_router
from hikeshi.api.auth import AUTH, access_org_by_api
from hikeshi.api.schemas import (
    AnalyzeIn,
    AuditEventOut,
    IncidentDetailOut,
    IncidentIn,
    IncidentOut,
    JudgementOut,
    MemberOut,
    OrganizationOut,
    TimelineEntryOut,
    TimelineIn,
)
from hikeshi.audit.models import AuditEvent
from hikeshi.monitoring.api import router as monitoring_router
from hikeshi.prevention.api import router as prevention_router
from hikeshi.response.actions import do_add_timeline_entry, do_open_incident
from hikeshi.response.models import Incident, TimelineEntry
from hikeshi.tenancy.access import organizations_for_user
from hikeshi.tenancy.models import Membership, Organization

api = NinjaAPI(
    title="hikeshi API",
    version=__version__,
    description="Per-organisation API of hikeshi. Every route is scoped to one organisation: "
    "a token reaches only the organisation it was issued for.",
    auth=AUTH,
    urls_namespace="api",
)

orgs = Router(tags=["organizations"])
incidents = Router(tags=["incidents"])
analysis = Router(tags=["analysis"])


def _org_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(slug=org.slug, name=org.name, kind=org.kind, industry=org.industry, size=org.size)


@orgs.get("/", response=list[OrganizationOut], summary="Organisations visible to the caller")
def list_orgs(request: HttpRequest) -> list[OrganizationOut]:
    principal = request.auth  # type: ignore[attr-defined]
    if hasattr(principal, "token_hash"):
        return [_org_out(principal.organization)]
    return [_org_out(o) for o in organizations_for_user(principal)]


@orgs.get("/{org}", response=OrganizationOut)
def get_org(request: HttpRequest, org: str) -> OrganizationOut:
    return _org_out(access_org_by_api(request, org).access.organization)


def _member_out(m: Membership) -> MemberOut:
    return MemberOut(
        id=m.pk, email=m.user.email, display_name=m.user.display_name, role=m.role, department=m.department
    )


@orgs.get("/{org}/members", response=list[MemberOut])
def list_members(request: HttpRequest, org: str) -> list[MemberOut]:
    access = access_org_by_api(request, org, require="admin").access
    return [
        _member_out(m)
        for m in Membership.objects.filter(organization=access.organization).select_related("user")
    ]


@orgs.get("/{org}/members/{member_id}", response=MemberOut)
def get_member(request: HttpRequest, org: str, member_id: int) -> MemberOut:
    access = access_org_by_api(request, org, require="admin").access
    membership = get_object_or_404(
        Membership.objects.filter(organization=access.organization).select_related("user"), pk=member_id
    )
    return _member_out(membership)


@orgs.get("/{org}/audit", response=list[AuditEventOut])
def list_audit(request: HttpRequest, org: str, limit: int = 100) -> list[AuditEventOut]:
    """The newest audit events first; ``limit`` is clamped to 1..1000."""
    access = access_org_by_api(request, org, require="admin").access
    limit = max(1, min(limit, 1000))
    events = AuditEvent.objects.filter(organization=access.organization)[:limit]
    return [
        AuditEventOut(
            id=e.pk,
            at=e.at,
            actor=e.actor_label,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            object_repr=e.object_repr,
            changes=e.changes,
        )
        for e in events
    ]


def _incident_out(i: Incident) -> IncidentOut:
    return IncidentOut(
        id=i.pk, title=i.title, level=i.level, summary=i.summary, opened_at=i.opened_at, closed_at=i.closed_at
    )


def _entry_out(e: TimelineEntry) -> TimelineEntryOut:
    return TimelineEntryOut(id=e.pk, at=e.at, author=e.author.email if e.author else None, text=e.text)


@incidents.get("/{org}/incidents", response=list[IncidentOut])
def list_incidents(request: HttpRequest, org: str) -> list[IncidentOut]:
    access = access_org_by_api(request, org, require="staff").access
    return [_incident_out(i) for i in Incident.objects.for_org(access.organization)]


@incidents.post("/{org}/incidents", response={201: IncidentOut})
def create_incident(request: HttpRequest, org: str, payload: IncidentIn) -> tuple[int, IncidentOut]:
    api_access = access_org_by_api(request, org, require="staff")
    user = None if api_access.token else request.auth  # type: ignore[attr-defined]
    incident = do_open_incident(
        api_access.access.organization,
        title=payload.title,
        level=payload.level,
        summary=payload.summary,
        opened_by=user,
    )
    return 201, _incident_out(incident)


@incidents.get("/{org}/incidents/{incident_id}", response=IncidentDetailOut)
def get_incident(request: HttpRequest, org: str, incident_id: int) -> IncidentDetailOut:
    access = access_org_by_api(request, org, require="staff").access
    incident = get_object_or_404(Incident.objects.for_org(access.organization), pk=incident_id)
    base = _incident_out(incident)
    return IncidentDetailOut(
        **base.dict(), timeline=[_entry_out(e) for e in incident.entries.select_related("author")]
    )


@incidents.post("/{org}/incidents/{incident_id}/timeline", response={201: TimelineEntryOut})
def add_timeline(
    request: HttpRequest, org: str, incident_id: int, payload: TimelineIn
) -> tuple[int, TimelineEntryOut]:
    api_access = access_org_by_api(request, org, require="staff")
    incident = get_object_or_404(Incident.objects.for_org(api_access.access.organization), pk=incident_id)
    user = None if api_access.token else request.auth  # type: ignore[attr-defined]
    entry = do_add_timeline_entry(incident, text=payload.text, author=user)
    return 201, _entry_out(entry)


@analysis.post("/{org}/analyze", response=list[JudgementOut], summary="Judge texts for 炎上 risk")
def analyze(request: HttpRequest, org: str, payload: AnalyzeIn) -> list[dict[str, object]]:
    """The pre-post check as an API. Texts are judged and not stored."""
    access_org_by_api(request, org)
    from hikeshi.analysis import get_analyzer

    texts = [t[:5000] for t in payload.texts]
    return [j.to_dict() for j in get_analyzer().analyze(texts)]


api.add_router("/orgs", orgs)
api.add_router("/orgs", incidents)
api.add_router("/orgs", analysis)
# The programs' own routes; each app keeps its paths under /orgs/{org}/… or, for token-scoped
# pushes such as /ingest, at the top level.
api.add_router("", monitoring_router)
api.add_router("", alerts_router)
api.add_router("", prevention_router)
