"""Alert rules of an organisation: which levels, categories, watch rules and sources go to which channels."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.alerts.forms import AlertRuleForm
from hikeshi.alerts.models import AlertRule
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def rule_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    form = AlertRuleForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            rule = form.save(commit=False)
            rule.organization = org
            rule.save()
            form.save_m2m()
        messages.success(request, _("通知ルールを追加しました。"))
        return redirect("alerts:rule_list", org=org.slug)
    rules = AlertRule.objects.for_org(org).prefetch_related("channels")
    return render(request, "alerts/rule_list.html", {"rules": rules, "form": form})


@org_view(require="admin")
@require_POST
def rule_update(request: HttpRequest, access: OrgAccess, alert_rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule.objects.for_org(access.organization), pk=alert_rule_id)
    action = request.POST.get("action")
    if action == "delete":
        rule.delete()
    elif action in ("enable", "disable"):
        rule.is_active = action == "enable"
        rule.save(update_fields=["is_active"])
    else:
        return HttpResponse(_("不明な操作です。"), status=400)
    return redirect("alerts:rule_list", org=access.organization.slug)
