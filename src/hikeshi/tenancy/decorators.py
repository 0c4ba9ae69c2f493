from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from hikeshi.tenancy.access import OrgAccess, access_org_by_slug

OrgView = Callable[..., HttpResponse]


def org_view(require: str = "any") -> Callable[[OrgView], Callable[..., HttpResponse]]:
    """Resolve ``<org>`` from the URL through the tenancy check and pass the OrgAccess to the view.

    Every page under /o/<org>/ is wrapped in this; it is the web's one tenancy-scoped path.
    """

    def decorate(view: OrgView) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            access: OrgAccess = access_org_by_slug(request.user, org, require=require)  # type: ignore[arg-type]
            request.org_access = access  # type: ignore[attr-defined]
            if request.session.get("last_org") != org:
                request.session["last_org"] = org
            return view(request, access, *args, **kwargs)

        return wrapper

    return decorate
