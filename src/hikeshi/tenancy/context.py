from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hikeshi.tenancy.access import organizations_for_user


def current_organization(request: HttpRequest) -> dict[str, Any]:
    """The organisation the page is about and the list for the switcher."""
    access = getattr(request, "org_access", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "org_access": access,
        "current_org": access.organization if access else None,
        "switchable_orgs": organizations_for_user(user).only("slug", "name")[:200],
    }
