"""Writes for the rule documents: generate from the questionnaire, edit a draft clause, approve, publish,
acknowledge, export, and the acknowledgement reminders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hikeshi.accounts.models import User
from hikeshi.audit.actions import record
from hikeshi.prevention.content import Document, generate_all
from hikeshi.prevention.documents import document_from_content, with_clause_edited
from hikeshi.prevention.exports import CONTENT_TYPES, EXPORT_FORMATS, render_document
from hikeshi.prevention.models import (
    ACKNOWLEDGED_DOCS,
    Acknowledgement,
    PolicyDocument,
    PolicyVersion,
    Reminder,
    VersionState,
)
from hikeshi.prevention.policy_exports import BACKGROUND_FORMATS, kept_export, render_and_keep, request_render
from hikeshi.tenancy.models import Membership, Organization

# A member gets the first reminder this long after publication, then again at most this often.
REMINDER_GRACE = timedelta(days=2)
REMINDER_INTERVAL = timedelta(days=7)


@transaction.atomic
def do_generate_documents(
    organization: Organization, answers: Mapping[str, Any], *, created_by: User | None
) -> dict[str, PolicyVersion]:
    """A new draft of all four documents from the questionnaire's answers (raises ``AnswersInvalid``).

    An unapproved draft is replaced rather than piled up; approved and published versions are never touched.
    """
    documents = generate_all(answers)
    result: dict[str, PolicyVersion] = {}
    for code, document in documents.items():
        policy_doc, _created = PolicyDocument.objects.get_or_create(organization=organization, doc=code)
        latest = policy_doc.versions.order_by("-number").first()
        if latest is not None and latest.state == VersionState.DRAFT:
            latest.answers = dict(answers)
            latest.content = document.to_dict()
            latest.created_by = created_by
            latest.save(update_fields=["answers", "content", "created_by"])
            result[code] = latest
            continue
        result[code] = PolicyVersion.objects.create(
            organization=organization,
            document=policy_doc,
            number=(latest.number + 1) if latest else 1,
            answers=dict(answers),
            content=document.to_dict(),
            created_by=created_by,
        )
    return result


def _require_state(version: PolicyVersion, state: str, message: str) -> None:
    if version.state != state:
        raise ValidationError(message)


@transaction.atomic
def do_edit_clause(version: PolicyVersion, *, key: str, heading: str, text: str) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _require_state(version, VersionState.DRAFT, "下書きの版だけが編集できます。新しい版を作成してください。")
    try:
        version.content = with_clause_edited(version.content, key, heading, text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    version.save(update_fields=["content"])
    return version


@transaction.atomic
def do_approve(version: PolicyVersion, *, approved_by: User) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _require_state(version, VersionState.DRAFT, "承認できるのは下書きの版だけです。")
    version.state = VersionState.APPROVED
    version.approved_by = approved_by
    version.approved_at = timezone.now()
    version.save(update_fields=["state", "approved_by", "approved_at"])
    _render_in_background(version)
    return version


@transaction.atomic
def do_publish(version: PolicyVersion) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _require_state(version, VersionState.APPROVED, "公開できるのは承認済みの版だけです。")
    for previous in PolicyVersion.objects.filter(document=version.document, state=VersionState.PUBLISHED):
        previous.state = VersionState.RETIRED
        previous.save(update_fields=["state"])
    version.state = VersionState.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["state", "published_at"])
    _render_in_background(version)
    return version


def _render_in_background(version: PolicyVersion) -> None:
    """An approved or published version no longer changes: have its PDF ready before anyone asks for it."""
    for fmt in BACKGROUND_FORMATS:
        request_render(version, fmt, version_label(version))


def published_version(organization: Organization, doc: str) -> PolicyVersion | None:
    return (
        PolicyVersion.objects.for_org(organization)
        .filter(document__doc=doc, state=VersionState.PUBLISHED)
        .order_by("-number")
        .first()
    )


def published_guideline(organization: Organization) -> Document | None:
    version = published_version(organization, "guideline")
    return document_from_content(version.content) if version else None


@transaction.atomic
def do_acknowledge(version: PolicyVersion, user: User) -> Acknowledgement:
    if version.state != VersionState.PUBLISHED or version.document.doc not in ACKNOWLEDGED_DOCS:
        raise ValidationError("公開中のポリシー・ガイドラインだけに同意できます。")
    acknowledgement, _created = Acknowledgement.objects.get_or_create(
        organization=version.organization, version=version, user=user
    )
    return acknowledgement


def pending_acknowledgements(organization: Organization, user: User) -> list[PolicyVersion]:
    """Published versions this member has not acknowledged yet."""
    return list(
        PolicyVersion.objects.for_org(organization)
        .filter(state=VersionState.PUBLISHED, document__doc__in=ACKNOWLEDGED_DOCS)
        .exclude(acknowledgements__user=user)
        .select_related("document")
        .order_by("document__doc")
    )


def version_label(version: PolicyVersion) -> str:
    if version.published_at:
        return f"第{version.number}版（{timezone.localtime(version.published_at):%Y年%m月%d日} 公開）"
    return f"第{version.number}版（{version.get_state_display()}）"


def export_version(version: PolicyVersion, fmt: str) -> tuple[bytes, str, str]:
    """The file, its content type and a file name, rendered here unless a kept PDF is there (the CLI, or a member
    who chose to wait); every export is written to the audit log."""
    exported = _export(version, fmt, wait=True)
    assert exported is not None
    return exported


def export_version_or_queue(version: PolicyVersion, fmt: str) -> tuple[bytes, str, str] | None:
    """As ``export_version``, but a PDF not rendered yet is requested from the background worker and None is
    returned (nothing audited: nothing was downloaded)."""
    return _export(version, fmt, wait=False)


def _export(version: PolicyVersion, fmt: str, *, wait: bool) -> tuple[bytes, str, str] | None:
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"未知の形式「{fmt}」です。使えるのは {', '.join(EXPORT_FORMATS)} です。")
    label = version_label(version)
    data = kept_export(version, fmt, label) if fmt in BACKGROUND_FORMATS else None
    if data is None:
        if fmt in BACKGROUND_FORMATS and not wait:
            request_render(version, fmt, label)
            return None
        data = render_document(document_from_content(version.content), fmt, version_label=label)
    record(
        "export",
        organization=version.organization,
        obj=version,
        changes={"format": fmt, "doc": version.document.doc, "number": version.number},
    )
    filename = f"{version.organization.slug}-{version.document.doc}-v{version.number}.{fmt}"
    return data, CONTENT_TYPES[fmt], filename


def do_render_export(version_id: int, fmt: str) -> bool:
    """The background render (task ``render_policy_export``); True when a file was rendered."""
    version = PolicyVersion.objects.select_related("organization").filter(pk=version_id).first()
    if version is None or fmt not in BACKGROUND_FORMATS:
        return False
    label = version_label(version)
    return render_and_keep(version, fmt, label, document_from_content(version.content))


def send_acknowledgement_reminders(now: datetime) -> int:
    """E-mail every member who has not acknowledged a published policy or guideline; returns the number sent.

    Idempotent for the periodic task: a member is reminded about one version at most once per interval.
    """
    sent = 0
    versions = PolicyVersion.objects.filter(
        state=VersionState.PUBLISHED,
        document__doc__in=ACKNOWLEDGED_DOCS,
        published_at__lte=now - REMINDER_GRACE,
    ).select_related("organization")
    for version in versions:
        subject = f"ack:{version.pk}"
        acknowledged = Acknowledgement.objects.filter(version=version).values("user_id")
        recently = Reminder.objects.filter(subject=subject, sent_at__gt=now - REMINDER_INTERVAL).values(
            "user_id"
        )
        members = (
            Membership.objects.filter(organization=version.organization, user__is_active=True)
            .exclude(user_id__in=acknowledged)
            .exclude(user_id__in=recently)
            .select_related("user")
        )
        url = settings.BASE_URL + reverse("prevention:acknowledgements", args=[version.organization.slug])
        for membership in members:
            with transaction.atomic():
                Reminder.objects.create(
                    organization=version.organization, subject=subject, user=membership.user, sent_at=now
                )
                body = (
                    f"{version.organization.name} の「{version.title}」（{version_label(version)}）への同意が"
                    f"まだ済んでいません。\n\n次のページで内容を確認し、同意してください:\n{url}\n"
                )
                send_mail(f"[hikeshi] {version.title} への同意のお願い", body, None, [membership.user.email])
            sent += 1
    return sent
