from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from hikeshi.core.models import Heartbeat
from hikeshi.tenancy.access import organizations_for_user

HEARTBEAT_STALE = timedelta(minutes=3)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    visible = organizations_for_user(request.user)
    last = request.session.get("last_org")
    if last and visible.filter(slug=last).exists():
        return redirect("tenancy:org_home", org=last)
    if visible.count() == 1:
        only = visible.first()
        assert only is not None
        return redirect("tenancy:org_home", org=only.slug)
    return redirect("tenancy:org_list")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the web process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def system_status(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    beats = [
        {"source": b.source, "last_seen": b.last_seen, "alive": now - b.last_seen < HEARTBEAT_STALE}
        for b in Heartbeat.objects.all()
    ]
    return render(request, "core/status.html", {"beats": beats})
