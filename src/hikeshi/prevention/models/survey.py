"""SNS利用実態調査: a survey run sent to members by tokenised link, and the responses.

Neither invitations nor responses are audited: an audit event names its actor and time, which would tie an
anonymous response to a person. In anonymous mode a response keeps no link to its respondent and only the day
it was submitted."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import TenantModel


class SurveyEmploymentType(models.TextChoices):
    """Asked in every survey (self-reported, preselected from the membership's employment type when it is
    recorded), so results can be read per employment type. Finer than the membership's categories on purpose:
    a survey may want to tell contract from dispatched staff, or teachers from pupils."""

    FULL_TIME = "full_time", _("正社員・正職員")
    CONTRACT = "contract", _("契約社員・嘱託")
    PART_TIME = "part_time", _("パート・アルバイト")
    DISPATCHED = "dispatched", _("派遣・業務委託")
    JOB_OFFER = "job_offer", _("内定者")
    STUDENT = "student", _("生徒・学生")
    TEACHER = "teacher", _("教職員")
    OTHER = "other", _("その他")


class SurveyRun(TenantModel):
    template_id = models.CharField(_("調査票"), max_length=30)
    title = models.CharField(_("調査名"), max_length=200)
    anonymous = models.BooleanField(_("無記名"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    closed_at = models.DateTimeField(_("締切日時"), null=True, blank=True)

    audit_fields = ("template_id", "title", "anonymous", "sent_at", "closed_at")

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class SurveyInvite(TenantModel):
    """A member's personal link to a run; only the token's hash is stored."""

    run = models.ForeignKey(SurveyRun, on_delete=models.CASCADE, related_name="invites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    responded = models.BooleanField(default=False)
    # When the link was sent (reminders wait a grace period from it); null for invites made before it existed.
    invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["run", "user"], name="one_survey_invite_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.run_id} → {self.user_id}"


class SurveyResponse(TenantModel):
    run = models.ForeignKey(SurveyRun, on_delete=models.CASCADE, related_name="responses")
    # Only in named mode; anonymous responses keep no link to the person.
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.CharField(_("部署"), max_length=100, blank=True)
    employment_type = models.CharField(_("雇用形態"), max_length=20, choices=SurveyEmploymentType.choices)
    answers = models.JSONField(_("回答"), default=dict)
    submitted_on = models.DateField(_("回答日"))

    def __str__(self) -> str:
        return f"response to {self.run_id}"
