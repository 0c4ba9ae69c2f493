"""Organisation settings for alerts: channels (with "send test") and the escalation chain with quiet hours."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.alerts.channel_actions import do_add_channel, do_delete_channel, do_send_test, do_set_fallback
from hikeshi.alerts.forms import AlertSettingsForm, ChannelForm, EscalationContactForm
from hikeshi.alerts.models import AlertRule, AlertSettings, Channel, EscalationContact
from hikeshi.alerts.notify import Outcome
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def channel_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        do_add_channel(
            org, name=data["name"], kind=data["kind"], config=data["config"], is_fallback=data["is_fallback"]
        )
        messages.success(request, _("チャンネルを追加しました。「テスト送信」で届くか確かめてください。"))
        return redirect("alerts:channel_list", org=org.slug)
    context = {
        "channels": Channel.objects.for_org(org),
        "rules": AlertRule.objects.for_org(org).prefetch_related("channels"),
        "form": form,
    }
    return render(request, "alerts/channel_list.html", context)


@org_view(require="admin")
@require_POST
def channel_test(request: HttpRequest, access: OrgAccess, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel.objects.for_org(access.organization), pk=channel_id)
    outcome, notification = do_send_test(channel)
    if outcome == Outcome.SENT:
        messages.success(request, _("「%(name)s」にテスト送信しました。") % {"name": channel.name})
    else:
        messages.error(
            request,
            _("「%(name)s」に送れませんでした: %(error)s")
            % {"name": channel.name, "error": notification.error},
        )
    return redirect("alerts:channel_list", org=access.organization.slug)


@org_view(require="admin")
@require_POST
def channel_update(request: HttpRequest, access: OrgAccess, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel.objects.for_org(access.organization), pk=channel_id)
    action = request.POST.get("action")
    if action == "delete":
        do_delete_channel(channel)
    elif action in ("fallback_on", "fallback_off"):
        do_set_fallback(channel, action == "fallback_on")
    else:
        return HttpResponse(_("不明な操作です。"), status=400)
    return redirect("alerts:channel_list", org=access.organization.slug)


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def escalation_settings(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    settings_row, _created = AlertSettings.objects.get_or_create(organization=org)
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if posted else None
    contact_form = EscalationContactForm(posted if which == "contact" else None, organization=org)
    settings_form = AlertSettingsForm(posted if which == "settings" else None, instance=settings_row)
    if which == "contact" and contact_form.is_valid():
        contact = contact_form.save(commit=False)
        contact.organization = org
        contact.save()
        messages.success(request, _("連絡先を追加しました。"))
        return redirect("alerts:escalation_settings", org=org.slug)
    if which == "settings" and settings_form.is_valid():
        settings_form.save()
        messages.success(request, _("夜間・ダイジェストの設定を保存しました。"))
        return redirect("alerts:escalation_settings", org=org.slug)
    contacts = EscalationContact.objects.for_org(org).select_related("channel")
    context = {"contacts": contacts, "contact_form": contact_form, "settings_form": settings_form}
    return render(request, "alerts/escalation.html", context)


@org_view(require="admin")
@require_POST
def escalation_contact_delete(request: HttpRequest, access: OrgAccess, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(EscalationContact.objects.for_org(access.organization), pk=contact_id)
    contact.delete()
    messages.success(request, _("連絡先を削除しました。"))
    return redirect("alerts:escalation_settings", org=access.organization.slug)
