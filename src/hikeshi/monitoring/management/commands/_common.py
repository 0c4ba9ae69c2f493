from __future__ import annotations

from django.core.management.base import CommandError

from hikeshi.tenancy.models import Organization


def organization_by_slug(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(f"no organisation {slug!r} (see `hikeshi org list`)")
    return organization
