from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("作成")
    UPDATE = "update", _("更新")
    DELETE = "delete", _("削除")
    EXPORT = "export", _("エクスポート")
    LOGIN = "login", _("ログイン")
    LOGIN_FAILED = "login_failed", _("ログイン失敗")
    LOGOUT = "logout", _("ログアウト")
    SECURITY = "security", _("セキュリティ設定")


class AuditEvent(models.Model):
    """One recorded action. Rows are only ever inserted; nothing in hikeshi updates or deletes them."""

    at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    organization = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("実行者"), max_length=200, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("対象の種類"), max_length=100, blank=True)
    object_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("対象"), max_length=200, blank=True)
    changes = models.JSONField(_("変更内容"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["organization", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"
