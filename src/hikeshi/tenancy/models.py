"""Organisations (the clients), memberships and the base for every client-owned object."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("スラッグは半角英小文字・数字・ハイフンで 1〜50 文字にしてください。"),
)


class OrganizationKind(models.TextChoices):
    COMPANY = "company", _("企業")
    SCHOOL = "school", _("学校")
    OTHER = "other", _("その他")


class OrganizationSize(models.TextChoices):
    SMALL = "small", _("〜50名")
    MEDIUM = "medium", _("51〜300名")
    LARGE = "large", _("301〜1000名")
    ENTERPRISE = "enterprise", _("1001名以上")


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("組織管理者")
    ORG_MEMBER = "org_member", _("組織メンバー")
    EMPLOYEE = "employee", _("従業員")


class EmploymentType(models.TextChoices):
    """How a member is employed (or enrolled), so that training can be assigned to, and results read for,
    part-timers, students, job-offer holders and so on."""

    FULL_TIME = "full_time", _("正社員")
    PART_TIME = "part_time", _("パート・アルバイト")
    CONTRACT = "contract", _("契約・派遣")
    STUDENT = "student", _("学生")
    OFFER_HOLDER = "offer_holder", _("内定者")
    OTHER = "other", _("その他")


class Organization(models.Model):
    slug = models.SlugField(_("スラッグ"), max_length=50, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(_("組織名"), max_length=200)
    kind = models.CharField(_("種別"), max_length=20, choices=OrganizationKind.choices, default="company")
    industry = models.CharField(_("業種"), max_length=100, blank=True)
    size = models.CharField(_("規模"), max_length=20, choices=OrganizationSize.choices, blank=True)
    require_2fa = models.BooleanField(
        _("スタッフに二要素認証を必須にする"),
        default=False,
        help_text=_("組織管理者・組織メンバーは二要素認証を設定するまで他の画面を使えません。"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("slug", "name", "kind", "industry", "size", "require_2fa")

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("ロール"), max_length=20, choices=Role.choices, default=Role.ORG_MEMBER)
    department = models.CharField(_("部署"), max_length=100, blank=True)
    employment_type = models.CharField(
        _("雇用形態"), max_length=20, choices=EmploymentType.choices, blank=True
    )
    # The day they joined the organisation itself (入社日・入学日), not the day of their hikeshi account:
    # "new hires" are counted from it.
    joined_on = models.DateField(_("入社・入学日"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("user", "role", "department", "employment_type", "joined_on")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]
        ordering: ClassVar[list[str]] = ["organization", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class OperatorAssignment(models.Model):
    """An operator analyst may work for the organisations they are assigned to."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="assignments")

    audit_fields = ("user",)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_assignment_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organization}"


class TenantQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def for_org(self, organization: Organization) -> TenantQuerySet:
        return self.filter(organization=organization)


class TenantModel(models.Model):
    """Base of every object that belongs to one client organisation.

    Views never query these models directly: they go through
    ``Model.objects.for_org(org)`` with an ``org`` obtained from
    :func:`hikeshi.tenancy.access.access_org_by_slug`, which is the one
    tenancy-scoped path the cross-organisation test exercises.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Invitation(TenantModel):
    """An e-mail invitation to join an organisation. Only the token's hash is stored."""

    email = models.EmailField(_("メールアドレス"))
    role = models.CharField(_("ロール"), max_length=20, choices=Role.choices, default=Role.ORG_MEMBER)
    department = models.CharField(_("部署"), max_length=100, blank=True)
    employment_type = models.CharField(
        _("雇用形態"), max_length=20, choices=EmploymentType.choices, blank=True
    )
    joined_on = models.DateField(_("入社・入学日"), null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("有効期限"))
    accepted_at = models.DateTimeField(_("承諾日時"), null=True, blank=True)
    revoked = models.BooleanField(_("取り消し済み"), default=False)

    audit_fields = (
        "email",
        "role",
        "department",
        "employment_type",
        "joined_on",
        "expires_at",
        "accepted_at",
        "revoked",
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization_id}"

    @property
    def status(self) -> str:
        from django.utils import timezone

        if self.accepted_at:
            return "accepted"
        if self.revoked:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
