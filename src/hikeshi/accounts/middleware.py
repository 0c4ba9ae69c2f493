from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from hikeshi.accounts.twofactor import confirmed_device, two_factor_required

ALWAYS_ALLOWED_PREFIXES = ("/static/", "/accounts/", "/i18n/", "/healthz", "/api/")


class TwoFactorEnforcementMiddleware:
    """Sends users whom policy obliges to use 2FA to the set-up page until they have a device."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # A user who has a device always logs in through the verify step, so reaching the check
        # unverified means no confirmed device yet.
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(ALWAYS_ALLOWED_PREFIXES)
            and not user.is_verified()
            and two_factor_required(user)
            and confirmed_device(user) is None
        ):
            return redirect(reverse("accounts:twofactor_setup") + "?required=1")
        return self.get_response(request)
