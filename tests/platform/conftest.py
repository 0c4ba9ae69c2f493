from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hikeshi.accounts.models import OperatorRole, User
from hikeshi.api.actions import do_create_token
from hikeshi.response.actions import do_open_incident
from hikeshi.response.models import Incident
from hikeshi.tenancy.actions import do_invite
from hikeshi.tenancy.models import Invitation, Membership, OperatorAssignment, Organization, Role

PASSWORD = "correct-horse-battery-staple-9"


@dataclass
class Tenant:
    org: Organization
    admin: User
    member: User
    employee: User
    admin_membership: Membership
    incident: Incident
    invitation: Invitation
    token_secret: str
    # Objects of other apps, keyed by name, made by their tests/<app>/tenancy_params.py.
    extra: dict[str, Any] = field(default_factory=dict)


def _tenant(slug: str, name: str) -> Tenant:
    org = Organization.objects.create(slug=slug, name=name)
    admin = User.objects.create_user(f"admin@{slug}.example", PASSWORD)
    member = User.objects.create_user(f"member@{slug}.example", PASSWORD)
    employee = User.objects.create_user(f"employee@{slug}.example", PASSWORD)
    admin_m = Membership.objects.create(user=admin, organization=org, role=Role.ORG_ADMIN)
    Membership.objects.create(user=member, organization=org, role=Role.ORG_MEMBER)
    Membership.objects.create(user=employee, organization=org, role=Role.EMPLOYEE)
    incident = do_open_incident(org, title=f"{name} incident", level=2, summary="", opened_by=admin)
    invitation = do_invite(org, f"new@{slug}.example", send_email=False).invitation
    _token, secret = do_create_token(org, name="ci", role=Role.ORG_ADMIN, created_by=admin)
    tenant = Tenant(org, admin, member, employee, admin_m, incident, invitation, secret)
    for module in tenancy_param_modules():
        module.make_objects(tenant)
    return tenant


def tenancy_param_modules() -> list[Any]:
    """Every tests/<app>/tenancy_params.py: each makes its app's objects for a tenant (make_objects)
    and says how to fill its URL parameters (PARAMS), so the isolation test covers its routes."""
    tests_dir = Path(__file__).resolve().parents[1]
    return [
        importlib.import_module(f"tests.{path.parent.name}.tenancy_params")
        for path in sorted(tests_dir.glob("*/tenancy_params.py"))
    ]


@pytest.fixture
def alpha(db: None) -> Tenant:
    return _tenant("alpha", "アルファ株式会社")


@pytest.fixture
def beta(db: None) -> Tenant:
    return _tenant("beta", "ベータ学園")


@pytest.fixture
def outsider(db: None) -> User:
    return User.objects.create_user("outsider@example.net", PASSWORD)


@pytest.fixture
def operator_admin(db: None) -> User:
    return User.objects.create_user("op@example.com", PASSWORD, operator_role=OperatorRole.ADMIN)


@pytest.fixture
def analyst(db: None, alpha: Tenant) -> User:
    user = User.objects.create_user("analyst@example.com", PASSWORD, operator_role=OperatorRole.ANALYST)
    OperatorAssignment.objects.create(user=user, organization=alpha.org)
    return user
