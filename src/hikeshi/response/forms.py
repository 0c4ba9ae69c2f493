from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hikeshi.response.models import IncidentLevel


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("件名"), max_length=200)
    level = forms.TypedChoiceField(label=_("危険度"), choices=IncidentLevel.choices, coerce=int, initial=1)
    summary = forms.CharField(
        label=_("概要"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )


class TimelineForm(forms.Form):
    text = forms.CharField(label=_("経過を記録"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("危険度"), choices=IncidentLevel.choices, coerce=int)
