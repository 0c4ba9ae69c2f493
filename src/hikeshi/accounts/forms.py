from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"), max_length=254)
    password = forms.CharField(label=_("パスワード"), strip=False, widget=forms.PasswordInput)


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("認証コード (6桁)"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("6桁の数字を入力してください。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class AcceptInvitationForm(forms.Form):
    display_name = forms.CharField(label=_("表示名"), max_length=100)
    password1 = forms.CharField(label=_("パスワード"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("パスワード (確認)"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError(_("パスワードが一致しません。"))
        if p1:
            from hikeshi.accounts.models import User

            password_validation.validate_password(p1, User(email=self.email))
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("表示名"), max_length=100, required=False)
    language = forms.ChoiceField(label=_("表示言語"), choices=[("ja", "日本語"), ("en", "English")])
