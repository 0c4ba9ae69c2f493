"""Writes to organisations and memberships (do_* functions, each in one transaction)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hikeshi.accounts.models import User
from hikeshi.tenancy.models import (
    SLUG_VALIDATOR,
    EmploymentType,
    Invitation,
    Membership,
    OperatorAssignment,
    Organization,
    OrganizationKind,
    Role,
)

INVITATION_DAYS = 14


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_create_organization(
    slug: str, name: str, *, kind: str = OrganizationKind.COMPANY, industry: str = "", size: str = ""
) -> Organization:
    slug = slug.strip().lower()
    SLUG_VALIDATOR(slug)
    if not name.strip():
        raise ValidationError(_("組織名を入力してください。"))
    if kind not in OrganizationKind.values:
        raise ValidationError(_("種別は company / school / other のいずれかです。"))
    if Organization.objects.filter(slug=slug).exists():
        raise ValidationError(_("スラッグ「%(slug)s」は既に使われています。") % {"slug": slug})
    return Organization.objects.create(slug=slug, name=name.strip(), kind=kind, industry=industry, size=size)


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    url: str


def invitation_url(token: str) -> str:
    return settings.BASE_URL + reverse("accounts:accept_invitation", args=[token])


@transaction.atomic
def do_invite(
    organization: Organization,
    email: str,
    *,
    role: str = Role.ORG_MEMBER,
    department: str = "",
    employment_type: str = "",
    joined_on: date | None = None,
    invited_by: User | None = None,
    send_email: bool = True,
) -> IssuedInvitation:
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError(_("ロールが正しくありません: %(role)s") % {"role": role})
    _check_employment_type(employment_type)
    if Membership.objects.filter(organization=organization, user__email=email).exists():
        raise ValidationError(_("%(email)s は既にこの組織のメンバーです。") % {"email": email})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        department=department,
        employment_type=employment_type,
        joined_on=joined_on,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    url = invitation_url(token)
    if send_email:
        subject = _("[hikeshi] %(org)s への招待") % {"org": organization.name}
        body = _(
            "%(org)s から hikeshi への招待が届いています。\n\n"
            "次のリンクを開いて登録を完了してください (有効期限 %(days)d 日):\n%(url)s\n\n"
            "心当たりがない場合はこのメールを破棄してください。"
        ) % {"org": organization.name, "days": INVITATION_DAYS, "url": url}
        # Sent after commit: a rolled-back invitation must not leave a working link in someone's inbox.
        transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return IssuedInvitation(invitation=invitation, url=url)


def find_open_invitation(token: str) -> Invitation | None:
    invitation: Invitation | None = (
        Invitation.objects.select_related("organization").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None or invitation.status != "pending":
        return None
    return invitation


@transaction.atomic
def do_accept_invitation(invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != "pending":
        raise ValidationError(_("この招待は使用済みか、期限切れです。"))
    membership, _created = Membership.objects.get_or_create(
        user=user,
        organization=invitation.organization,
        defaults={
            "role": invitation.role,
            "department": invitation.department,
            "employment_type": invitation.employment_type,
            "joined_on": invitation.joined_on,
        },
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def do_revoke_invitation(invitation: Invitation) -> None:
    invitation.revoked = True
    invitation.save(update_fields=["revoked"])


def _check_employment_type(employment_type: str) -> None:
    if employment_type and employment_type not in EmploymentType.values:
        raise ValidationError(_("雇用形態が正しくありません: %(value)s") % {"value": employment_type})


@transaction.atomic
def do_change_membership(
    membership: Membership,
    *,
    role: str,
    department: str,
    employment_type: str | None = None,
    joined_on: date | None = None,
    set_joined_on: bool = False,
) -> Membership:
    """Change a member's role and department; ``employment_type`` when given, ``joined_on`` when
    ``set_joined_on`` (so that callers which do not show these fields leave them as they are)."""
    if role not in Role.values:
        raise ValidationError(_("ロールが正しくありません: %(role)s") % {"role": role})
    _guard_last_admin(membership, new_role=role)
    membership.role = role
    membership.department = department
    fields = ["role", "department"]
    if employment_type is not None:
        _check_employment_type(employment_type)
        membership.employment_type = employment_type
        fields.append("employment_type")
    if set_joined_on:
        membership.joined_on = joined_on
        fields.append("joined_on")
    membership.save(update_fields=fields)
    return membership


@transaction.atomic
def do_remove_membership(membership: Membership) -> None:
    _guard_last_admin(membership, new_role=None)
    membership.delete()


def _guard_last_admin(membership: Membership, *, new_role: str | None) -> None:
    if membership.role != Role.ORG_ADMIN or new_role == Role.ORG_ADMIN:
        return
    others = Membership.objects.filter(organization=membership.organization, role=Role.ORG_ADMIN).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise ValidationError(_("最後の組織管理者は外せません。先に別の管理者を指定してください。"))


@transaction.atomic
def do_assign_operator(user: User, organization: Organization) -> OperatorAssignment:
    assignment, _created = OperatorAssignment.objects.get_or_create(user=user, organization=organization)
    return assignment
