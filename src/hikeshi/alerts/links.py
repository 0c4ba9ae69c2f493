"""Links in messages: the alert page, and a signed, expiring acknowledge link.

The token carries the alert, its organisation and an expiry, signed with the secret key
(django.core.signing), so it cannot be forged or pointed at another alert. The expiry is inside the
signed payload (rather than the signer's own timestamp) so that callers, and tests, pass `now`.
The link still requires a login: acknowledging records who took the alert, and a forwarded message or a
chat app's link preview must not take it for anyone (GET only shows a confirmation page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from hikeshi.alerts.models import Alert

ACK_SALT = "hikeshi.alerts.ack"
ACK_LINK_VALIDITY = timedelta(days=3)


class InvalidAckLink(Exception):
    """The token was tampered with or is not an acknowledge token."""


class ExpiredAckLink(Exception):
    """The token is genuine but too old."""


@dataclass(frozen=True)
class AckClaim:
    alert_id: int
    organization_id: int
    contact_id: int | None
    expires_at: datetime


def make_ack_token(alert: Alert, *, now: datetime | None = None, contact_id: int | None = None) -> str:
    expires = (now or timezone.now()) + ACK_LINK_VALIDITY
    payload = {"a": alert.pk, "o": alert.organization_id, "c": contact_id, "e": int(expires.timestamp())}
    return signing.dumps(payload, salt=ACK_SALT)


def read_ack_token(token: str, *, now: datetime | None = None) -> AckClaim:
    try:
        payload = signing.loads(token, salt=ACK_SALT)
    except signing.BadSignature:
        raise InvalidAckLink("the acknowledge link is not valid") from None
    try:
        claim = AckClaim(
            alert_id=int(payload["a"]),
            organization_id=int(payload["o"]),
            contact_id=int(payload["c"]) if payload.get("c") is not None else None,
            expires_at=datetime.fromtimestamp(int(payload["e"]), tz=UTC),
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidAckLink("the acknowledge link is not valid") from None
    if (now or timezone.now()) >= claim.expires_at:
        raise ExpiredAckLink("the acknowledge link has expired")
    return claim


def alert_url(alert: Alert) -> str:
    return settings.BASE_URL + reverse("alerts:alert_detail", args=[alert.organization.slug, alert.pk])


def ack_url(alert: Alert, *, now: datetime | None = None, contact_id: int | None = None) -> str:
    token = make_ack_token(alert, now=now, contact_id=contact_id)
    return settings.BASE_URL + reverse("alerts:ack_link", args=[alert.organization.slug, token])
