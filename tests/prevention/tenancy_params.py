"""Objects of the prevention app for the cross-organisation isolation test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from hikeshi.prevention.models import RiskRole
from hikeshi.prevention.policy_actions import do_generate_documents
from hikeshi.prevention.survey_actions import do_create_run, do_send_run
from hikeshi.prevention.training_actions import do_assign, do_seed_courses, do_submit_attempt
from tests.platform.conftest import Tenant
from tests.prevention.helpers import company_answers, perfect_responses


def make_objects(tenant: Tenant) -> None:
    versions = do_generate_documents(tenant.org, company_answers(tenant.org.name), created_by=tenant.admin)
    tenant.extra["policy_version"] = versions["guideline"]
    course = do_seed_courses(tenant.org)[0]
    do_assign(course, target="all", due_date=date(2030, 1, 1))
    tenant.extra["course"] = course
    # A passed attempt, so that even the certificate route has something to refuse across organisations.
    tenant.extra["attempt"] = do_submit_attempt(course, tenant.employee, perfect_responses(course)).attempt

    run = do_create_run(tenant.org, template_id="employee", anonymous=True, created_by=tenant.admin)
    do_send_run(run)
    tenant.extra["survey_run"] = run
    tenant.extra["risk_role"] = RiskRole.objects.create(
        organization=tenant.org, role="lead", person_name="責任者"
    )


PARAMS: dict[str, Callable[[Tenant], Any]] = {
    "version_id": lambda t: t.extra["policy_version"].pk,
    "clause_key": lambda t: "purpose",
    "course_id": lambda t: t.extra["course"].pk,
    "attempt_id": lambda t: t.extra["attempt"].pk,
    "run_id": lambda t: t.extra["survey_run"].pk,
    "risk_role_id": lambda t: t.extra["risk_role"].pk,
}
