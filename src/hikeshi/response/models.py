"""Crisis response: incidents and their timeline (対応・危機対応)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import TenantModel


class IncidentLevel(models.IntegerChoices):
    NORMAL = 0, _("0 平常")
    CAUTION = 1, _("1 注意")
    WARNING = 2, _("2 警戒")
    FIRE = 3, _("3 炎上")
    MAJOR_FIRE = 4, _("4 大炎上")


class Incident(TenantModel):
    title = models.CharField(_("件名"), max_length=200)
    level = models.IntegerField(_("危険度"), choices=IncidentLevel.choices, default=IncidentLevel.CAUTION)
    summary = models.TextField(_("概要"), blank=True, max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("担当者"),
    )
    opened_at = models.DateTimeField(_("開始"), auto_now_add=True)
    closed_at = models.DateTimeField(_("終了"), null=True, blank=True)

    audit_fields = ("title", "level", "summary", "owner", "closed_at")

    class Meta:
        ordering: ClassVar[list[str]] = ["-opened_at"]

    def __str__(self) -> str:
        return self.title


class TimelineEntry(TenantModel):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(_("日時"), auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("内容"), max_length=5000)

    audit_fields = ("incident", "text")

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:50]
