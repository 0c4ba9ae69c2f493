"""API authentication (organisation tokens or the browser session) and the API's tenancy check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from hikeshi.api.actions import find_active_token
from hikeshi.api.models import APIToken
from hikeshi.tenancy.access import ADMIN_ROLES, STAFF_ROLES, OrgAccess, access_org_by_slug


class TokenAuth(HttpBearer):
    openapi_description = "Organisation API token: `Authorization: Bearer hks_…`"

    def authenticate(self, request: HttpRequest, token: str) -> APIToken | None:
        return find_active_token(token)


class SessionAuth(APIKeyCookie):
    """The logged-in browser session (CSRF-checked for unsafe methods)."""

    param_name = "sessionid"
    openapi_description = "Browser session cookie"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


AUTH = [TokenAuth(), SessionAuth(csrf=True)]


@dataclass(frozen=True)
class ApiAccess:
    access: OrgAccess
    token: APIToken | None


def access_org_by_api(request: HttpRequest, org: str, *, require: str = "any") -> ApiAccess:
    """The API's one tenancy-scoped path: a token reaches only its own organisation."""
    principal = request.auth  # type: ignore[attr-defined]
    if isinstance(principal, APIToken):
        if principal.organization.slug != org:
            raise Http404("organisation not found")
        access = OrgAccess(organization=principal.organization, role=principal.role)
        if require == "staff" and access.role not in STAFF_ROLES:
            raise Http404("not available for this token")
        if require == "admin" and access.role not in ADMIN_ROLES:
            raise Http404("not available for this token")
        return ApiAccess(access=access, token=principal)
    return ApiAccess(access=access_org_by_slug(principal, org, require=require), token=None)
