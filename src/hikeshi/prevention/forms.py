"""Forms of the prevention pages built from the content package's data (questionnaire, clause editing)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hikeshi.prevention.content import load_questionnaire
from hikeshi.prevention.documents import MAX_CLAUSE_CHARS


class QuestionnaireForm(forms.Form):
    """One field per question of ``questionnaire.toml``. Requiredness and conditions (ask_when) are checked by
    ``validate_answers`` after the form, because whether a question counts depends on earlier answers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in load_questionnaire().questions:
            choices = [(option.id, option.label) for option in question.options]
            field: forms.Field
            if question.type == "single":
                field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
            elif question.type == "multi":
                field = forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple)
            elif question.type == "bool":
                field = forms.BooleanField()
            else:
                field = forms.CharField(max_length=question.max_length)
            field.required = False
            field.label = question.text
            field.help_text = question.help
            field.initial = question.default
            self.fields[question.id] = field

    def answers(self) -> dict[str, Any]:
        """The answers as the content package expects them; empty optional values are left out."""
        answers: dict[str, Any] = {}
        for question in load_questionnaire().questions:
            value = self.cleaned_data.get(question.id)
            if question.type == "bool":
                answers[question.id] = bool(value)
            elif question.type == "multi":
                answers[question.id] = list(value or [])
            elif value not in (None, ""):
                answers[question.id] = value
        return answers


class ClauseForm(forms.Form):
    heading = forms.CharField(label=_("見出し"), max_length=100)
    text = forms.CharField(
        label=_("本文"),
        max_length=MAX_CLAUSE_CHARS,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("段落は空行で区切り、号は「- 」で始まる行で書きます。"),
    )
