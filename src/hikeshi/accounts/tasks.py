from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="hikeshi.accounts.tasks.expire_invitations")
def expire_invitations() -> int:
    """Revoke invitations past their expiry so their links stop working even if the clock is skewed later."""
    from hikeshi.tenancy.models import Invitation

    expired = Invitation.objects.filter(
        accepted_at__isnull=True, revoked=False, expires_at__lte=timezone.now()
    )
    count = 0
    for invitation in expired.iterator():
        invitation.revoked = True
        invitation.save(update_fields=["revoked"])
        count += 1
    return count
