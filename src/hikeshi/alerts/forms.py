from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from hikeshi.accounts.models import User
from hikeshi.alerts.channels.base import ConfigError
from hikeshi.alerts.channels.registry import clean_config
from hikeshi.alerts.models import AlertRule, AlertSettings, Channel, ChannelKind, EscalationContact, Level
from hikeshi.tenancy.access import STAFF_ROLES
from hikeshi.tenancy.models import Organization

SNOOZE_CHOICES = [(30, _("30分")), (60, _("1時間")), (180, _("3時間")), (720, _("12時間")), (1440, _("1日"))]
SILENCE_CHOICES = [(1, _("1時間")), (6, _("6時間")), (24, _("1日")), (72, _("3日")), (168, _("7日"))]
CONFIG_FIELDS = ("to", "url", "token", "room", "secret", "api_base")


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("名前"), max_length=100)
    kind = forms.ChoiceField(label=_("種類"), choices=ChannelKind.choices)
    to = forms.CharField(
        label=_("宛先"),
        required=False,
        max_length=2000,
        help_text=_("メール: アドレス (カンマ区切り)。LINE: ユーザー/グループ ID。"),
    )
    url = forms.CharField(label=_("Webhook URL"), required=False, max_length=2000)
    token = forms.CharField(label=_("トークン"), required=False, max_length=500, widget=forms.PasswordInput)
    room = forms.CharField(label=_("ルーム ID (Chatwork)"), required=False, max_length=50)
    secret = forms.CharField(
        label=_("署名用シークレット (Webhook)"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput,
        help_text=_("空欄なら自動生成します。"),
    )
    api_base = forms.CharField(label=_("API のベース URL (任意)"), required=False, max_length=500)
    is_fallback = forms.BooleanField(label=_("代替チャンネルにする"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind:
            try:
                data["config"] = clean_config(kind, {key: data.get(key, "") for key in CONFIG_FIELDS})
            except ConfigError as exc:
                raise forms.ValidationError(str(exc)) from None
        return data


class EscalationContactForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = EscalationContact
        fields = ("level", "order", "name", "channel", "wait_minutes")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.for_org(organization)  # type: ignore[attr-defined]
        self.fields["wait_minutes"].validators.append(lambda v: _check_wait(v))


def _check_wait(value: int) -> None:
    if not 1 <= value <= 24 * 60:
        raise forms.ValidationError(_("待ち時間は 1〜1440 分にしてください。"))


class AlertSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = AlertSettings
        fields = ("quiet_start", "quiet_end", "digest_enabled")
        widgets: ClassVar[dict[str, Any]] = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            raise forms.ValidationError(_("夜間の開始と終了は両方指定するか、両方空欄にしてください。"))
        return data


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("担当者"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__organization=organization, memberships__role__in=STAFF_ROLES
        ).order_by("email")


class SnoozeForm(forms.Form):
    minutes = forms.TypedChoiceField(label=_("スヌーズ"), choices=SNOOZE_CHOICES, coerce=int)


class SilenceForm(forms.Form):
    hours = forms.TypedChoiceField(label=_("ミュート期間"), choices=SILENCE_CHOICES, coerce=int)
    max_level = forms.TypedChoiceField(
        label=_("この危険度まで"), choices=Level.choices[1:], coerce=int, initial=Level.WARNING
    )
    reason = forms.CharField(label=_("理由"), max_length=200, required=False)


class AlertRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    categories_text = forms.CharField(
        label=_("カテゴリ (カンマ区切り、空欄ならすべて)"), required=False, max_length=500
    )

    class Meta:
        model = AlertRule
        fields = ("name", "min_level", "watch_rule_id", "source_kind", "all_channels", "channels")
        widgets: ClassVar[dict[str, Any]] = {"channels": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["min_level"].choices = Level.choices[1:]  # type: ignore[attr-defined]
        self.fields["channels"].queryset = Channel.objects.for_org(organization)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = data.get("categories_text") or ""
        self.instance.categories = [c.strip() for c in raw.replace("、", ",").split(",") if c.strip()][:20]
        if not data.get("all_channels") and not data.get("channels"):
            raise forms.ValidationError(
                _("送り先のチャンネルを選ぶか、「すべてのチャンネルへ」をオンにしてください。")
            )
        return data
