"""REST routes of the alerts app, mounted under /api/v1/ by hikeshi.api.routes."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from hikeshi.alerts.actions import do_acknowledge
from hikeshi.alerts.models import Alert, AlertStatus
from hikeshi.api.auth import access_org_by_api
from hikeshi.audit.context import Actor, acting_as

router = Router(tags=["alerts"])

LIST_LIMIT = 200


class AlertOut(Schema):
    id: int
    story_key: str
    level: int
    level_label: str
    peak_level: int
    status: str
    title: str
    explanation: str
    factors: list[str]
    first_posts: list[dict[str, object]]
    assignee: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    created_at: datetime
    updated_at: datetime
    update_count: int


def _out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.pk,
        story_key=alert.story_key,
        level=alert.level,
        level_label=alert.level_label,
        peak_level=alert.peak_level,
        status=alert.status,
        title=alert.title,
        explanation=alert.explanation,
        factors=[str(f) for f in alert.factors],
        first_posts=[p for p in alert.first_posts if isinstance(p, dict)],
        assignee=alert.assignee.email if alert.assignee else None,
        acknowledged_by=alert.acknowledged_by.email if alert.acknowledged_by else None,
        acknowledged_at=alert.acknowledged_at,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        update_count=alert.update_count,
    )


@router.get("/orgs/{org}/alerts", response=list[AlertOut], summary="Alerts not yet resolved (newest first)")
def list_alerts(request: HttpRequest, org: str, include_resolved: bool = False) -> list[AlertOut]:
    access = access_org_by_api(request, org, require="staff").access
    alerts = Alert.objects.for_org(access.organization).select_related("assignee", "acknowledged_by")
    if not include_resolved:
        alerts = alerts.exclude(status=AlertStatus.RESOLVED)
    return [_out(alert) for alert in alerts[:LIST_LIMIT]]


@router.get("/orgs/{org}/alerts/{alert_id}", response=AlertOut)
def get_alert(request: HttpRequest, org: str, alert_id: int) -> AlertOut:
    access = access_org_by_api(request, org, require="staff").access
    alert = get_object_or_404(
        Alert.objects.for_org(access.organization).select_related("assignee", "acknowledged_by"), pk=alert_id
    )
    return _out(alert)


@router.post("/orgs/{org}/alerts/{alert_id}/ack", response=AlertOut, summary="Acknowledge: stops escalation")
def acknowledge_alert(request: HttpRequest, org: str, alert_id: int) -> AlertOut:
    api_access = access_org_by_api(request, org, require="staff")
    alert = get_object_or_404(Alert.objects.for_org(api_access.access.organization), pk=alert_id)
    user = None if api_access.token is not None else request.auth  # type: ignore[attr-defined]
    label = f"api token {api_access.token.name}" if api_access.token is not None else "api"
    with acting_as(Actor(user=user, label=label)):
        do_acknowledge(alert, by=user, via=label)
    alert.refresh_from_db()
    return _out(alert)
