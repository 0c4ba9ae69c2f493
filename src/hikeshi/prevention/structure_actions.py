"""Writes for the risk-management structure (体制)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hikeshi.prevention.models import RiskRole
from hikeshi.tenancy.models import Organization

FIELDS = ("role", "person_name", "department", "phone", "email", "deputy", "deputy_phone")


@transaction.atomic
def do_save_risk_role(
    organization: Organization, data: dict[str, Any], *, role: RiskRole | None = None
) -> RiskRole:
    """Create a role holder, or update ``role`` (already fetched through the organisation)."""
    if role is None:
        role = RiskRole(organization=organization)
    for name in FIELDS:
        setattr(role, name, (data.get(name) or "").strip())
    role.full_clean()
    role.save()
    return role


@transaction.atomic
def do_delete_risk_role(role: RiskRole) -> None:
    role.delete()
