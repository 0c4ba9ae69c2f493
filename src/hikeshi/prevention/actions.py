from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hikeshi.prevention.models import CheckTally
from hikeshi.tenancy.models import Organization

MAX_DRAFT_CHARS = 5000


def analyze_draft(organization: Organization, text: str) -> dict[str, Any]:
    """Judge a draft with the analysis engine and count it anonymously; the text is not kept."""
    from hikeshi.analysis import get_analyzer

    judgement = get_analyzer().analyze_one(text[:MAX_DRAFT_CHARS]).to_dict()
    do_count_check(organization, str(judgement["level"]))
    return judgement


@transaction.atomic
def do_count_check(organization: Organization, level: str) -> None:
    day = timezone.localdate()
    tally, created = CheckTally.objects.get_or_create(
        organization=organization, day=day, level=level, defaults={"count": 1}
    )
    if not created:
        CheckTally.objects.filter(pk=tally.pk).update(count=F("count") + 1)
