"""The organisation's rule documents, their versions, and who acknowledged (同意) which version."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import TenantModel


class DocCode(models.TextChoices):
    POLICY = "policy", _("ソーシャルメディアポリシー")
    GUIDELINE = "guideline", _("ガイドライン")
    ACCOUNT_RULES = "account-rules", _("公式アカウント運用規程")
    MANUAL = "manual", _("炎上対応マニュアル")


# Every member is asked to acknowledge these; the account rules and the manual concern only the people who
# run official accounts or handle a crisis.
ACKNOWLEDGED_DOCS: tuple[str, ...] = (DocCode.POLICY, DocCode.GUIDELINE)


class VersionState(models.TextChoices):
    DRAFT = "draft", _("下書き")
    APPROVED = "approved", _("承認済み")
    PUBLISHED = "published", _("公開中")
    RETIRED = "retired", _("旧版")


class PolicyDocument(TenantModel):
    doc = models.CharField(_("文書"), max_length=20, choices=DocCode.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("doc",)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "doc"], name="one_policy_document_per_doc")
        ]

    def __str__(self) -> str:
        return str(self.get_doc_display())


class PolicyVersion(TenantModel):
    """One version of a document. ``content`` is the generator's ``Document.to_dict()``; in draft its clause
    text may be edited. Clause *keys* stay stable across versions, numbers may not."""

    document = models.ForeignKey(PolicyDocument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    answers = models.JSONField(_("質問票の回答"), default=dict)
    content = models.JSONField(_("本文"), default=dict)
    state = models.CharField(
        _("状態"), max_length=10, choices=VersionState.choices, default=VersionState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)

    audit_fields = ("number", "state", "approved_by", "approved_at", "published_at")

    class Meta:
        ordering: ClassVar[list[str]] = ["-number"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["document", "number"], name="one_policy_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.content.get('title', self.document_id)} 第{self.number}版"

    @property
    def title(self) -> str:
        return str(self.content.get("title", ""))

    @property
    def clauses(self) -> list[dict[str, Any]]:
        return list(self.content.get("clauses", []))


class Acknowledgement(TenantModel):
    """A member confirmed they read and will follow one published version; a new version asks again."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("version", "user")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["version", "user"], name="one_acknowledgement_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ✓ {self.version_id}"


class Reminder(TenantModel):
    """A reminder e-mail that was sent, so that periodic runs (at-least-once) do not send it twice.
    ``subject`` names what it was about, e.g. "ack:12" or "assignment:3"."""

    subject = models.CharField(max_length=50)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["subject", "user", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user_id} @ {self.sent_at}"


class RenderedExport(TenantModel):
    """A version's PDF rendered in the background: embedding and subsetting the Japanese font takes seconds, so
    it is done by a worker once a version is approved or published, not in the request. ``key`` is the SHA-256 of
    what went into the file (content, version label, format); an edit or a publication changes it, and the stale
    file is replaced by the next render."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="rendered_exports")
    format = models.CharField(max_length=10)
    key = models.CharField(max_length=64)
    data = models.BinaryField()
    rendered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["version", "format"], name="one_rendered_export_per_format")
        ]

    def __str__(self) -> str:
        return f"{self.version_id}.{self.format}"
