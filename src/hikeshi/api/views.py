from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.api.actions import do_create_token, do_revoke_token
from hikeshi.api.models import APIToken
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view
from hikeshi.tenancy.models import Role


class TokenForm(forms.Form):
    name = forms.CharField(label=_("名前 (用途)"), max_length=100)
    role = forms.ChoiceField(label=_("ロール"), choices=Role.choices, initial=Role.ORG_MEMBER)


@org_view(require="admin")
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_secret = do_create_token(
                access.organization,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                created_by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = TokenForm()
    tokens = APIToken.objects.for_org(access.organization).select_related("created_by")
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens, "new_secret": new_secret})


@org_view(require="admin")
@require_POST
def token_revoke(request: HttpRequest, access: OrgAccess, token_id: int) -> HttpResponse:
    token = get_object_or_404(APIToken.objects.for_org(access.organization), pk=token_id)
    do_revoke_token(token)
    return redirect("apitokens:list", org=access.organization.slug)
