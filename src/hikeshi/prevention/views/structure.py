"""体制: who holds each role when a fire starts (責任者, 広報, 法務, 人事, 現場責任者), with contacts and deputies.
The escalation chain per risk level is edited in the alerts app's settings and only linked from here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.prevention.models import RiskRole, RiskRoleKind
from hikeshi.prevention.structure_actions import FIELDS, do_delete_risk_role, do_save_risk_role
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


class RiskRoleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RiskRole
        fields = FIELDS


@org_view(require="staff")
@require_http_methods(["GET", "POST"])
def structure(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    roles = RiskRole.objects.for_org(access.organization)
    form = RiskRoleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not access.is_admin:
            return HttpResponse(
                "組織管理者だけが編集できます。", status=403, content_type="text/plain; charset=utf-8"
            )
        if form.is_valid():
            role = do_save_risk_role(access.organization, form.cleaned_data)
            messages.success(request, f"{role.get_role_display()}に {role.person_name} さんを登録しました。")
            return redirect("prevention:structure", access.organization.slug)
    by_kind = {kind: [r for r in roles if r.role == kind] for kind in RiskRoleKind.values}
    rows = [(label, by_kind[value]) for value, label in RiskRoleKind.choices]
    missing = [label for value, label in RiskRoleKind.choices if not by_kind[value]]
    context = {"rows": rows, "form": form, "missing": missing}
    return render(request, "prevention/structure.html", context)


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def structure_edit(request: HttpRequest, access: OrgAccess, risk_role_id: int) -> HttpResponse:
    role = get_object_or_404(RiskRole.objects.for_org(access.organization), pk=risk_role_id)
    form = RiskRoleForm(request.POST if request.method == "POST" else None, instance=role)
    if request.method == "POST" and form.is_valid():
        do_save_risk_role(access.organization, form.cleaned_data, role=role)
        messages.success(request, "更新しました。")
        return redirect("prevention:structure", access.organization.slug)
    return render(request, "prevention/structure_edit.html", {"form": form, "role": role})


@org_view(require="admin")
@require_POST
def structure_delete(request: HttpRequest, access: OrgAccess, risk_role_id: int) -> HttpResponse:
    role = get_object_or_404(RiskRole.objects.for_org(access.organization), pk=risk_role_id)
    do_delete_risk_role(role)
    messages.success(request, "削除しました。")
    return redirect("prevention:structure", access.organization.slug)
