"""Alerts: one per story, the rules and channels that carry them, and the escalation chain.

An alert is keyed by (organisation, story_key) while it is not resolved, so a story that grows updates one
alert instead of raising many. Every notification is stored BEFORE it is sent, so a crash between "decided to
notify" and "sent" leaves a pending row that the retry picks up rather than a lost message.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import TenantModel


class Level(models.IntegerChoices):
    NORMAL = 0, _("平常")
    CAUTION = 1, _("注意")
    WARNING = 2, _("警戒")
    FIRESTORM = 3, _("炎上")
    MAJOR_FIRESTORM = 4, _("大炎上")


LEVEL_LABELS_JA = {0: "平常", 1: "注意", 2: "警戒", 3: "炎上", 4: "大炎上"}


class AlertStatus(models.TextChoices):
    OPEN = "open", _("未対応")
    ACKNOWLEDGED = "acknowledged", _("確認済み")
    RESOLVED = "resolved", _("解決")


class Alert(TenantModel):
    story_key = models.CharField(_("ストーリー"), max_length=100)
    level = models.IntegerField(_("危険度"), choices=Level.choices, default=Level.CAUTION)
    peak_level = models.IntegerField(_("最大危険度"), choices=Level.choices, default=Level.CAUTION)
    score = models.FloatField(default=0.0)
    title = models.CharField(_("件名"), max_length=200)
    explanation = models.TextField(_("説明"), blank=True)
    first_posts = models.JSONField(default=list, blank=True)
    factors = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    source_kinds = models.JSONField(default=list, blank=True)
    watch_rule_id = models.IntegerField(null=True, blank=True)
    url_path = models.CharField(max_length=500, blank=True)
    status = models.CharField(_("状態"), max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(_("スヌーズ期限"), null=True, blank=True)
    # A rise above the level at snooze time still goes out: snoozing 注意 must not hide a 炎上.
    snoozed_level = models.IntegerField(null=True, blank=True)
    # The highest level that has been announced through the rules' channels (-1: none yet).
    notified_level = models.IntegerField(default=-1)
    # Quiet hours: the announcement of a level < 3 waits until this moment.
    held_until = models.DateTimeField(null=True, blank=True)
    # Why the announcement of `level` is still pending ("held", "silenced", "snoozed"; "" when not pending),
    # so the sweep that re-checks it every minute records the reason once, not every minute.
    pending_reason = models.CharField(max_length=20, blank=True)
    # Escalation: index of the last contact paged in the chain for `escalation_level`, and when the next is due.
    escalation_level = models.IntegerField(null=True, blank=True)
    escalation_step = models.IntegerField(default=-1)
    escalation_next_at = models.DateTimeField(null=True, blank=True)
    update_count = models.IntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    audit_fields = ("status", "assignee", "acknowledged_by", "snoozed_until")

    class Meta:
        ordering: ClassVar[list[str]] = ["-updated_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["organization", "story_key"],
                condition=~models.Q(status="resolved"),
                name="one_unresolved_alert_per_story",
            )
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "escalation_next_at"], name="alert_escalation_due"),
            models.Index(fields=["status", "held_until"], name="alert_held_due"),
        ]

    def __str__(self) -> str:
        return f"[{self.level_label}] {self.title}"

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS_JA.get(self.level, str(self.level))

    @property
    def is_active(self) -> bool:
        return self.status == AlertStatus.OPEN


class EventKind(models.TextChoices):
    RAISED = "raised", _("発生")
    UPDATED = "updated", _("更新")
    ESCALATED = "escalated", _("上位連絡先へエスカレーション")
    LEVEL_CHANGED = "level_changed", _("危険度の変更")
    ACKNOWLEDGED = "acknowledged", _("確認")
    ASSIGNED = "assigned", _("担当者の割り当て")
    SNOOZED = "snoozed", _("スヌーズ")
    SILENCED = "silenced", _("ミュート")
    HELD = "held", _("夜間のため保留")
    RESOLVED = "resolved", _("解決")
    NOTIFIED = "notified", _("通知")


class AlertEvent(TenantModel):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    level = models.IntegerField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("メール")
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    LINE = "line", "LINE"
    CHATWORK = "chatwork", "Chatwork"
    DISCORD = "discord", "Discord"
    WEBHOOK = "webhook", _("Webhook (署名付き)")


class ChannelStatus(models.TextChoices):
    OK = "ok", _("正常")
    BROKEN = "broken", _("送信不可")


class Channel(TenantModel):
    name = models.CharField(_("名前"), max_length=100)
    kind = models.CharField(_("種類"), max_length=20, choices=ChannelKind.choices)
    # Secrets (tokens, webhook URLs, signing keys) live here; pages show masked_config() only.
    config = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=ChannelStatus.choices, default=ChannelStatus.OK)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    is_fallback = models.BooleanField(_("代替チャンネル"), default=False)
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # config is left out on purpose: the audit log must not copy secrets.
    audit_fields = ("name", "kind", "status", "is_fallback", "is_active")

    class Meta:
        ordering: ClassVar[list[str]] = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def masked_config(self) -> dict[str, Any]:
        from hikeshi.alerts.channels.registry import masked_config

        return masked_config(self.kind, self.config)


class AlertRule(TenantModel):
    """Which alerts are announced, and where. Empty filters match everything."""

    name = models.CharField(_("名前"), max_length=100)
    min_level = models.IntegerField(_("最低危険度"), choices=Level.choices, default=Level.WARNING)
    categories = models.JSONField(_("カテゴリ"), default=list, blank=True)
    watch_rule_id = models.IntegerField(_("監視ルール ID"), null=True, blank=True)
    source_kind = models.CharField(_("ソースの種類"), max_length=50, blank=True)
    all_channels = models.BooleanField(_("すべてのチャンネルへ"), default=True)
    channels = models.ManyToManyField(Channel, blank=True, related_name="rules")
    is_active = models.BooleanField(_("有効"), default=True)
    is_default = models.BooleanField(default=False)

    audit_fields = (
        "name",
        "min_level",
        "categories",
        "watch_rule_id",
        "source_kind",
        "all_channels",
        "is_active",
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-min_level", "id"]

    def __str__(self) -> str:
        return self.name


class EscalationContact(TenantModel):
    """One step of the organisation's escalation chain for alerts of `level` (and above, up to the next chain)."""

    level = models.IntegerField(_("危険度"), choices=Level.choices[1:], default=Level.WARNING)
    order = models.PositiveIntegerField(_("順番"), default=1)
    name = models.CharField(_("名前"), max_length=100)
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("連絡手段")
    )
    wait_minutes = models.PositiveIntegerField(_("次の連絡先までの待ち時間 (分)"), default=15)

    audit_fields = ("level", "order", "name", "channel", "wait_minutes")

    class Meta:
        ordering: ClassVar[list[str]] = ["level", "order", "id"]

    def __str__(self) -> str:
        return f"{self.level}/{self.order} {self.name}"


class AlertSettings(TenantModel):
    """Quiet hours (levels < 3 wait until they end) and the daily digest, one row per organisation."""

    quiet_start = models.TimeField(_("夜間の開始"), null=True, blank=True)
    quiet_end = models.TimeField(_("夜間の終了"), null=True, blank=True)
    timezone = models.CharField(_("タイムゾーン"), max_length=50, default="Asia/Tokyo")
    digest_enabled = models.BooleanField(_("日次ダイジェストを送る"), default=True)
    last_digest_on = models.DateField(null=True, blank=True)

    audit_fields = ("quiet_start", "quiet_end", "timezone", "digest_enabled")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization"], name="one_alert_settings_per_org")
        ]

    def __str__(self) -> str:
        return f"alert settings of {self.organization_id}"


class Silence(TenantModel):
    """Mutes announcements of one story (or all, when story_key is empty) up to `max_level` until `until`."""

    story_key = models.CharField(_("ストーリー"), max_length=100, blank=True)
    max_level = models.IntegerField(_("この危険度まで"), choices=Level.choices, default=Level.WARNING)
    until = models.DateTimeField(_("期限"))
    reason = models.CharField(_("理由"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("story_key", "max_level", "until", "reason")

    class Meta:
        ordering: ClassVar[list[str]] = ["-until"]

    def __str__(self) -> str:
        return f"silence {self.story_key or '*'} ≤{self.max_level} until {self.until:%Y-%m-%d %H:%M}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("送信待ち")
    SENT = "sent", _("送信済み")
    FAILED = "failed", _("失敗 (再試行切れ)")
    PERMANENT_FAILURE = "permanent_failure", _("失敗 (恒久的)")


class NotificationReason(models.TextChoices):
    RAISED = "raised", _("発生")
    LEVEL_UP = "level_up", _("危険度の上昇")
    ESCALATION = "escalation", _("エスカレーション")
    FALLBACK = "fallback", _("代替チャンネル")
    TEST = "test", _("テスト送信")
    DIGEST = "digest", _("日次ダイジェスト")


class Notification(TenantModel):
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    contact = models.ForeignKey(
        EscalationContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fallback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=NotificationReason.choices)
    level = models.IntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"notification {self.pk} via {self.channel_id} ({self.status})"
