"""The alert's history (AlertEvent rows): who did what, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hikeshi.alerts.models import Alert, AlertEvent, EventKind


def add_event(
    alert: Alert,
    kind: EventKind,
    *,
    now: datetime,
    actor: Any = None,
    actor_label: str = "",
    detail: str = "",
) -> AlertEvent:
    return AlertEvent.objects.create(
        organization_id=alert.organization_id,
        alert=alert,
        kind=kind,
        at=now,
        actor=actor,
        actor_label=actor_label or (str(actor) if actor else "hikeshi"),
        level=alert.level,
        detail=detail,
    )
