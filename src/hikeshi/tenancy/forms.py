from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import EmploymentType, Organization, Role


class OrganizationSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Organization
        fields = ("name", "kind", "industry", "size", "require_2fa")


def _employment_type_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("雇用形態"), choices=[("", "—"), *EmploymentType.choices], required=False
    )


def _joined_on_field() -> forms.DateField:
    return forms.DateField(
        label=_("入社・入学日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("研修の「新規入社・入学者」への割り当てはこの日から数えます。"),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"))
    role = forms.ChoiceField(label=_("ロール"), choices=Role.choices, initial=Role.ORG_MEMBER)
    department = forms.CharField(label=_("部署"), max_length=100, required=False)
    employment_type = _employment_type_field()
    joined_on = _joined_on_field()


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("ロール"), choices=Role.choices)
    department = forms.CharField(label=_("部署"), max_length=100, required=False)
    employment_type = _employment_type_field()
    joined_on = _joined_on_field()
