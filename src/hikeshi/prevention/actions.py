from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hikeshi.prevention.content import CATEGORY_TO_CLAUSE_KEYS, citations_for_category
from hikeshi.prevention.models import CheckTally
from hikeshi.tenancy.models import Organization

MAX_DRAFT_CHARS = 5000


def analyze_draft(organization: Organization, text: str) -> dict[str, Any]:
    """Judge a draft with the analysis engine and count it anonymously; the text is not kept."""
    from hikeshi.analysis import get_analyzer

    judgement = get_analyzer().analyze_one(text[:MAX_DRAFT_CHARS]).to_dict()
    do_count_check(organization, str(judgement["level"]))
    return judgement


def guideline_citations(organization: Organization, judgement: dict[str, Any]) -> list[dict[str, Any]]:
    """For each risk category found, the clauses of the organisation's own published guideline it touches,
    e.g. {"category": "customer_privacy", "citations": ["ガイドライン第7条"], "headings": [...]}."""
    from hikeshi.prevention.policy_actions import published_guideline

    codes = [c["code"] for c in judgement.get("categories", []) if c["code"] in CATEGORY_TO_CLAUSE_KEYS]
    if not codes:
        return []
    guideline = published_guideline(organization)
    if guideline is None:
        return []
    result = []
    for code in codes:
        keys = [key for key in CATEGORY_TO_CLAUSE_KEYS[code] if guideline.has_clause(key)]
        result.append(
            {
                "category": code,
                "citations": list(citations_for_category(guideline, code)),
                "headings": [guideline.clause(key).heading for key in keys],
            }
        )
    return result


@transaction.atomic
def do_count_check(organization: Organization, level: str) -> None:
    day = timezone.localdate()
    tally, created = CheckTally.objects.get_or_create(
        organization=organization, day=day, level=level, defaults={"count": 1}
    )
    if not created:
        CheckTally.objects.filter(pk=tally.pk).update(count=F("count") + 1)
