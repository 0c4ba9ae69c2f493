"""体制: who holds each role of the organisation's risk-management structure, with contacts and a deputy.
The escalation chain per risk level belongs to the alerts app (organisation settings → escalation)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import TenantModel


class RiskRoleKind(models.TextChoices):
    LEAD = "lead", _("責任者")
    PR = "pr", _("広報")
    LEGAL = "legal", _("法務")
    HR = "hr", _("人事")
    SITE = "site", _("現場責任者")


class RiskRole(TenantModel):
    role = models.CharField(_("役割"), max_length=10, choices=RiskRoleKind.choices)
    person_name = models.CharField(_("担当者"), max_length=100)
    department = models.CharField(_("部署"), max_length=100, blank=True)
    phone = models.CharField(_("電話"), max_length=40, blank=True)
    email = models.EmailField(_("メール"), blank=True)
    deputy = models.CharField(_("代理"), max_length=100, blank=True, help_text=_("不在時に代わる人の氏名"))
    deputy_phone = models.CharField(_("代理の電話"), max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_fields = ("role", "person_name", "department", "phone", "email", "deputy", "deputy_phone")

    class Meta:
        ordering: ClassVar[list[str]] = ["role", "person_name"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.person_name}"
