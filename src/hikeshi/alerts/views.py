"""Alert pages: the list, one alert with its history and the ack/assign/snooze/silence buttons (htmx),
and the acknowledge page that the signed link in messages opens."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hikeshi.alerts.actions import do_acknowledge, do_assign, do_resolve, do_silence, do_snooze
from hikeshi.alerts.forms import AssignForm, SilenceForm, SnoozeForm
from hikeshi.alerts.links import ExpiredAckLink, InvalidAckLink, read_ack_token
from hikeshi.alerts.models import Alert, AlertStatus, EscalationContact
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view

STATUS_FILTERS = {
    "open": [AlertStatus.OPEN],
    "acknowledged": [AlertStatus.ACKNOWLEDGED],
    "resolved": [AlertStatus.RESOLVED],
}
ACTIVE = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
LIST_LIMIT = 200


@org_view(require="staff")
def alert_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    shown = request.GET.get("status", "active")
    statuses = STATUS_FILTERS.get(shown, ACTIVE)
    alerts = (
        Alert.objects.for_org(access.organization)
        .filter(status__in=statuses)
        .select_related("assignee", "acknowledged_by")[:LIST_LIMIT]
    )
    return render(request, "alerts/alert_list.html", {"alerts": alerts, "shown": shown})


def _panel_context(alert: Alert, access: OrgAccess) -> dict[str, object]:
    return {
        "alert": alert,
        "events": alert.events.select_related("actor"),
        "notifications": alert.notifications.select_related("channel", "contact")[:50],
        "assign_form": AssignForm(organization=access.organization, initial={"assignee": alert.assignee_id}),
        "snooze_form": SnoozeForm(),
        "silence_form": SilenceForm(),
    }


@org_view(require="staff")
def alert_detail(request: HttpRequest, access: OrgAccess, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(
        Alert.objects.for_org(access.organization).select_related("organization"), pk=alert_id
    )
    template = "alerts/_alert_panel.html" if request.htmx else "alerts/alert_detail.html"  # type: ignore[attr-defined]
    return render(request, template, _panel_context(alert, access))


@org_view(require="staff")
@require_POST
def alert_action(request: HttpRequest, access: OrgAccess, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(
        Alert.objects.for_org(access.organization).select_related("organization"), pk=alert_id
    )
    user = request.user
    action = request.POST.get("action", "")
    if action == "ack":
        do_acknowledge(alert, by=user, via="UI")  # type: ignore[arg-type]
    elif action == "resolve":
        do_resolve(alert, by=user)  # type: ignore[arg-type]
    elif action == "assign":
        form = AssignForm(request.POST, organization=access.organization)
        if form.is_valid():
            do_assign(alert, assignee=form.cleaned_data["assignee"], by=user)  # type: ignore[arg-type]
        else:
            messages.error(request, _("担当者を選び直してください。"))
    elif action == "snooze":
        snooze = SnoozeForm(request.POST)
        if snooze.is_valid():
            do_snooze(alert, minutes=snooze.cleaned_data["minutes"], by=user)  # type: ignore[arg-type]
    elif action == "silence":
        silence = SilenceForm(request.POST)
        if silence.is_valid():
            do_silence(
                access.organization,
                story_key=alert.story_key,
                max_level=silence.cleaned_data["max_level"],
                hours=silence.cleaned_data["hours"],
                reason=silence.cleaned_data["reason"],
                by=user,  # type: ignore[arg-type]
            )
    else:
        return HttpResponse(_("不明な操作です。"), status=400)
    alert.refresh_from_db()
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "alerts/_alert_panel.html", _panel_context(alert, access))
    return redirect("alerts:alert_detail", org=access.organization.slug, alert_id=alert.pk)


@org_view(require="staff")
def ack_link(request: HttpRequest, access: OrgAccess, token: str) -> HttpResponse:
    """GET shows what will be acknowledged (link previews and mail scanners fetch links); POST acknowledges."""
    try:
        claim = read_ack_token(token)
    except ExpiredAckLink:
        return render(request, "alerts/ack_link.html", {"expired": True}, status=410)
    except InvalidAckLink:
        raise Http404("invalid acknowledge link") from None
    if claim.organization_id != access.organization.pk:
        raise Http404("invalid acknowledge link")
    alert = get_object_or_404(Alert.objects.for_org(access.organization), pk=claim.alert_id)
    if request.method == "POST":
        contact = EscalationContact.objects.for_org(access.organization).filter(pk=claim.contact_id).first()
        via = _("メッセージのリンクから") + (f" ({contact.name})" if contact else "")
        do_acknowledge(alert, by=request.user, via=via)  # type: ignore[arg-type]
        messages.success(request, _("アラートを確認しました。エスカレーションを止めました。"))
        return redirect("alerts:alert_detail", org=access.organization.slug, alert_id=alert.pk)
    if request.method != "GET":
        return HttpResponse(status=405)
    return render(request, "alerts/ack_link.html", {"alert": alert, "expired": False})
