from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import Organization, Role


class OrganizationSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Organization
        fields = ("name", "kind", "industry", "size", "require_2fa")


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"))
    role = forms.ChoiceField(label=_("ロール"), choices=Role.choices, initial=Role.ORG_MEMBER)
    department = forms.CharField(label=_("部署"), max_length=100, required=False)


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("ロール"), choices=Role.choices)
    department = forms.CharField(label=_("部署"), max_length=100, required=False)
