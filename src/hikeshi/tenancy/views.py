from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.tenancy.access import OrgAccess, organizations_for_user
from hikeshi.tenancy.actions import (
    do_change_membership,
    do_invite,
    do_remove_membership,
    do_revoke_invitation,
)
from hikeshi.tenancy.decorators import org_view
from hikeshi.tenancy.forms import InviteForm, MembershipForm, OrganizationSettingsForm
from hikeshi.tenancy.models import Invitation, Membership


@login_required
def org_list(request: HttpRequest) -> HttpResponse:
    orgs = organizations_for_user(request.user)  # type: ignore[arg-type]
    return render(request, "tenancy/org_list.html", {"orgs": orgs})


@login_required
def org_switch(request: HttpRequest) -> HttpResponse:
    """The header switcher submits here (GET keeps it working without JavaScript)."""
    slug = request.GET.get("org", "")
    if organizations_for_user(request.user).filter(slug=slug).exists():  # type: ignore[arg-type]
        return redirect("tenancy:org_home", org=slug)
    return redirect("tenancy:org_list")


@org_view()
def org_home(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    from hikeshi.response.models import Incident

    context = {
        "open_incidents": (
            Incident.objects.for_org(access.organization).filter(closed_at__isnull=True).count()
            if access.is_staff
            else None
        ),
        "member_count": Membership.objects.filter(organization=access.organization).count(),
    }
    return render(request, "tenancy/org_home.html", context)


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def org_settings(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    form = OrganizationSettingsForm(request.POST or None, instance=access.organization)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("組織の設定を保存しました。"))
        return redirect("tenancy:org_settings", org=access.organization.slug)
    return render(request, "tenancy/org_settings.html", {"form": form})


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = do_invite(
                org,
                form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                department=form.cleaned_data["department"],
                employment_type=form.cleaned_data["employment_type"],
                joined_on=form.cleaned_data["joined_on"],
                invited_by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(
                request, _("%(email)s に招待メールを送りました。") % {"email": issued.invitation.email}
            )
            return redirect("tenancy:members", org=org.slug)
    context = {
        "form": form,
        "memberships": Membership.objects.filter(organization=org).select_related("user"),
        "invitations": Invitation.objects.for_org(org)
        .filter(accepted_at__isnull=True)
        .select_related("invited_by"),
    }
    return render(request, "tenancy/members.html", context)


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, access: OrgAccess, member_id: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.filter(organization=access.organization).select_related("user"), pk=member_id
    )
    form = MembershipForm(
        request.POST or None,
        initial={
            "role": membership.role,
            "department": membership.department,
            "employment_type": membership.employment_type,
            "joined_on": membership.joined_on,
        },
    )
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                do_remove_membership(membership)
                messages.success(request, _("メンバーを外しました。"))
                return redirect("tenancy:members", org=access.organization.slug)
            if form.is_valid():
                data = form.cleaned_data
                do_change_membership(
                    membership,
                    role=data["role"],
                    department=data["department"],
                    employment_type=data["employment_type"],
                    joined_on=data["joined_on"],
                    set_joined_on=True,
                )
                messages.success(request, _("保存しました。"))
                return redirect("tenancy:members", org=access.organization.slug)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "tenancy/member_edit.html", {"form": form, "membership": membership})


@org_view(require="admin")
@require_POST
def invitation_revoke(request: HttpRequest, access: OrgAccess, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.for_org(access.organization), pk=invitation_id)
    do_revoke_invitation(invitation)
    messages.success(request, _("招待を取り消しました。"))
    return redirect("tenancy:members", org=access.organization.slug)
