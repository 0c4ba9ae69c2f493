from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hikeshi.audit.context import Actor, acting_as


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = Actor(user=user, label=user.email, ip_address=client_ip(request))
        else:
            actor = Actor(label="anonymous", ip_address=client_ip(request))
        with acting_as(actor):
            return self.get_response(request)
