"""TOTP two-factor authentication on top of django-otp."""

from __future__ import annotations

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from hikeshi.accounts.models import User


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def two_factor_required(user: User) -> bool:
    """Whether policy forces this user to have a second factor."""
    from hikeshi.tenancy.models import Membership, Role

    if user.is_operator_staff and settings.REQUIRE_2FA_STAFF:
        return True
    return Membership.objects.filter(
        user=user, organization__require_2fa=True, role__in=[Role.ORG_ADMIN, Role.ORG_MEMBER]
    ).exists()


def provisioning_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (no image request, nothing leaves the server)."""
    import segno

    qr = segno.make(device.config_url, error="m")
    svg: str = qr.svg_inline(scale=4, dark="#111", light="#fff")
    return svg
