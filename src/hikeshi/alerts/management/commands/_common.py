"""Helpers shared by the alerts commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from hikeshi.tenancy.models import Organization


def organization(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"no organisation with slug {slug!r} (see `hikeshi org list`)")
    return org


def parse_id(value: str, what: str) -> int:
    if not value.isdigit():
        raise CommandError(f"{what} must be a number, got {value!r}")
    return int(value)
