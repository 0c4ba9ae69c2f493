"""Training (教育・チェックテスト): courses seeded from the content package, assignments to groups, each
member's enrolment with a due date, and test attempts."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import TenantModel

DEFAULT_MAX_ATTEMPTS = 3


class Course(TenantModel):
    """An organisation's copy of a starter course; lessons and questions stay in the content package
    (``content_id``), so a wording fix there reaches every organisation."""

    content_id = models.CharField(_("講座"), max_length=30)
    title = models.CharField(_("講座名"), max_length=200)
    pass_mark = models.PositiveSmallIntegerField(_("合格点"))
    max_attempts = models.PositiveSmallIntegerField(_("受験回数の上限"), default=DEFAULT_MAX_ATTEMPTS)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("content_id", "title", "pass_mark", "max_attempts")

    class Meta:
        ordering: ClassVar[list[str]] = ["content_id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "content_id"], name="one_course_per_content")
        ]

    def __str__(self) -> str:
        return self.title


class AssignmentTarget(models.TextChoices):
    ALL = "all", _("全員")
    ROLE = "role", _("ロール")
    DEPARTMENT = "department", _("部署")
    EMPLOYMENT_TYPE = "employment_type", _("雇用形態")
    NEW_HIRES = "new_hires", _("新規入社・入学者")


DEFAULT_NEW_HIRE_DAYS = 90


class Recurrence(models.TextChoices):
    ONCE = "once", _("1回")
    YEARLY = "yearly", _("毎年")
    ON_JOINING = "on_joining", _("入会時")


class Assignment(TenantModel):
    """A course assigned to a group. ``due_date`` is the deadline for the members enrolled now; a yearly
    assignment moves it on by a year and enrols the group again; an on-joining assignment also enrols
    everyone who joins later, due ``days_to_complete`` days after joining."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    target = models.CharField(_("対象"), max_length=20, choices=AssignmentTarget.choices)
    role = models.CharField(_("ロール"), max_length=20, blank=True)
    department = models.CharField(_("部署"), max_length=100, blank=True)
    employment_type = models.CharField(_("雇用形態"), max_length=20, blank=True)
    # New hires: members whose membership ``joined_on`` lies within this many days before the enrolment.
    new_hire_days = models.PositiveSmallIntegerField(
        _("入社・入学から何日以内を新規とするか"), default=DEFAULT_NEW_HIRE_DAYS
    )
    due_date = models.DateField(_("期限"))
    recurrence = models.CharField(_("繰り返し"), max_length=20, choices=Recurrence.choices)
    days_to_complete = models.PositiveSmallIntegerField(_("入会から期限までの日数"), default=14)
    cycle = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = (
        "course",
        "target",
        "role",
        "department",
        "employment_type",
        "new_hire_days",
        "due_date",
        "recurrence",
        "cycle",
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.course} → {self.target_label}"

    @property
    def target_label(self) -> str:
        from hikeshi.tenancy.models import EmploymentType, Role

        if self.target == AssignmentTarget.ROLE:
            return str(Role(self.role).label) if self.role in Role.values else self.role
        if self.target == AssignmentTarget.DEPARTMENT:
            return self.department
        if self.target == AssignmentTarget.EMPLOYMENT_TYPE:
            if self.employment_type in EmploymentType.values:
                return str(EmploymentType(self.employment_type).label)
            return self.employment_type
        if self.target == AssignmentTarget.NEW_HIRES:
            return f"{AssignmentTarget.NEW_HIRES.label}（{self.new_hire_days}日以内）"
        return str(AssignmentTarget.ALL.label)


class Enrollment(TenantModel):
    """One member's obligation to complete a course by ``due_date`` (one per assignment and cycle)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cycle = models.PositiveSmallIntegerField(default=1)
    due_date = models.DateField(_("期限"))
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(_("修了日時"), null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["due_date"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["assignment", "user", "cycle"], name="one_enrollment_per_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.assignment_id} ({self.cycle})"


class Attempt(TenantModel):
    """One sitting of a course's check test; ``answers`` are the learner's responses by question id."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField(_("回"))
    answers = models.JSONField(_("回答"), default=dict)
    score = models.PositiveSmallIntegerField(_("得点"))
    passed = models.BooleanField(_("合格"))
    submitted_at = models.DateTimeField(_("提出日時"))

    audit_fields = ("course", "user", "number", "score", "passed")

    class Meta:
        ordering: ClassVar[list[str]] = ["-submitted_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["course", "user", "number"], name="one_attempt_number")
        ]

    def __str__(self) -> str:
        return f"{self.course} #{self.number} {self.score}%"


class AttemptGrant(TenantModel):
    """Extra attempts an admin gave one member on a course's test after they used theirs up (audited).
    Like attempts, grants count from the member's oldest open enrolment, so a renewal starts afresh."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attempt_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    extra = models.PositiveSmallIntegerField(_("追加回数"), default=1)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(_("付与日時"))

    audit_fields = ("course", "user", "extra", "granted_by")

    class Meta:
        ordering: ClassVar[list[str]] = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.course} +{self.extra} → {self.user_id}"
