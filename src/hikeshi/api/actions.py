from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hikeshi.accounts.models import User
from hikeshi.api.models import APIToken
from hikeshi.tenancy.models import Organization, Role

TOKEN_PREFIX = "hks_"  # noqa: S105 - a public marker that makes leaked tokens easy to scan for
LAST_USED_GRANULARITY = timedelta(minutes=5)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def do_create_token(
    organization: Organization, *, name: str, role: str, created_by: User | None
) -> tuple[APIToken, str]:
    if role not in Role.values:
        raise ValidationError(_("ロールが正しくありません: %(role)s") % {"role": role})
    if not name.strip():
        raise ValidationError(_("名前を入力してください。"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = APIToken.objects.create(
        organization=organization,
        name=name.strip(),
        role=role,
        prefix=secret[:10],
        token_hash=hash_secret(secret),
        created_by=created_by,
    )
    return token, secret


@transaction.atomic
def do_revoke_token(token: APIToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def find_active_token(secret: str) -> APIToken | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        APIToken.objects.select_related("organization")
        .filter(token_hash=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        # Written at most every few minutes so that busy clients do not turn every read into a write.
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
