from __future__ import annotations

from typing import ClassVar

from django.db import models

from hikeshi.tenancy.models import TenantModel


class CheckTally(TenantModel):
    """How many pre-post checks ended at each level on each day. Drafts themselves are never stored,
    so the organisation sees only these anonymous counts."""

    day = models.DateField()
    level = models.CharField(max_length=10)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "day", "level"], name="one_tally_per_day_level")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.level}: {self.count}"
