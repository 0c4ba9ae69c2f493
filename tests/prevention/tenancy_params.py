"""Objects of the prevention app for the cross-organisation isolation test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hikeshi.prevention.policy_actions import do_generate_documents
from tests.platform.conftest import Tenant
from tests.prevention.helpers import company_answers


def make_objects(tenant: Tenant) -> None:
    versions = do_generate_documents(tenant.org, company_answers(tenant.org.name), created_by=tenant.admin)
    tenant.extra["policy_version"] = versions["guideline"]


PARAMS: dict[str, Callable[[Tenant], Any]] = {
    "version_id": lambda t: t.extra["policy_version"].pk,
    "clause_key": lambda t: "purpose",
}
