"""Who may reach which organisation, and with which role.

Every view and API route that touches client data calls one of these helpers
first. They raise Http404 (not 403) for organisations the user may not see, so
that nobody can even learn which organisations exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from hikeshi.accounts.models import OperatorRole, User
from hikeshi.tenancy.models import Membership, OperatorAssignment, Organization, Role

STAFF_ROLES = (OperatorRole.ADMIN, OperatorRole.ANALYST, Role.ORG_ADMIN, Role.ORG_MEMBER)
ADMIN_ROLES = (OperatorRole.ADMIN, OperatorRole.ANALYST, Role.ORG_ADMIN)


@dataclass(frozen=True)
class OrgAccess:
    organization: Organization
    role: str  # an OperatorRole or a Role value

    @property
    def is_operator(self) -> bool:
        return self.role in (OperatorRole.ADMIN, OperatorRole.ANALYST)

    @property
    def is_staff(self) -> bool:
        """Staff see monitoring and crisis response; employees only prevention."""
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        """May manage members, settings, tokens and read the audit log."""
        return self.role in ADMIN_ROLES


def organizations_for_user(user: User) -> QuerySet[Organization]:
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if user.operator_role == OperatorRole.ADMIN:
        return Organization.objects.all()
    if user.operator_role == OperatorRole.ANALYST:
        return Organization.objects.filter(assignments__user=user).distinct()
    return Organization.objects.filter(memberships__user=user).distinct()


def role_in_org(user: User, organization: Organization) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.operator_role == OperatorRole.ADMIN:
        return OperatorRole.ADMIN
    if (
        user.operator_role == OperatorRole.ANALYST
        and OperatorAssignment.objects.filter(user=user, organization=organization).exists()
    ):
        return OperatorRole.ANALYST
    membership = Membership.objects.filter(user=user, organization=organization).only("role").first()
    return membership.role if membership else None


def access_org_by_slug(user: User, slug: str, *, require: str = "any") -> OrgAccess:
    """Return the organisation and the user's role in it, or raise Http404.

    ``require`` is "any", "staff" (not employees) or "admin".
    """
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise Http404("organisation not found")
    role = role_in_org(user, organization)
    if role is None:
        raise Http404("organisation not found")
    access = OrgAccess(organization=organization, role=role)
    if require == "staff" and not access.is_staff:
        raise Http404("not available for this role")
    if require == "admin" and not access.is_admin:
        raise Http404("not available for this role")
    return access
