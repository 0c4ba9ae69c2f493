"""Users. Operator staff (the firm running the 炎上対策 service) carry an operator role;
everyone else reaches organisations only through memberships (see hikeshi.tenancy)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class OperatorRole(models.TextChoices):
    NONE = "", _("なし")
    ADMIN = "operator_admin", _("運営管理者")
    ANALYST = "operator_analyst", _("運営アナリスト")


class HikeshiUserManager(UserManager["User"]):
    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        email = self.normalize_email(email).lower()
        extra.setdefault("username", email)
        return super().create_user(email=email, password=password, **extra)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("operator_role", OperatorRole.ADMIN)
        email = self.normalize_email(email).lower()
        extra.setdefault("username", email)
        return super().create_superuser(email=email, password=password, **extra)


class User(AbstractUser):
    email = models.EmailField(_("メールアドレス"), unique=True)
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    operator_role = models.CharField(
        _("運営ロール"), max_length=20, choices=OperatorRole.choices, blank=True, default=""
    )
    language = models.CharField(
        _("表示言語"), max_length=5, default="ja", choices=[("ja", "日本語"), ("en", "English")]
    )

    audit_fields = ("email", "display_name", "operator_role", "is_active", "language")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = HikeshiUserManager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar[list[str]] = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_operator_staff(self) -> bool:
        return self.operator_role in (OperatorRole.ADMIN, OperatorRole.ANALYST)

    @property
    def is_operator_admin(self) -> bool:
        return self.operator_role == OperatorRole.ADMIN
