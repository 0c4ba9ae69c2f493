from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import Role, TenantModel


class APIToken(TenantModel):
    """A per-organisation API token. Only the SHA-256 of the secret is stored; the secret is shown once."""

    name = models.CharField(_("名前"), max_length=100)
    role = models.CharField(_("ロール"), max_length=20, choices=Role.choices, default=Role.ORG_MEMBER)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    audit_fields = ("name", "role", "prefix", "revoked_at")

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
