"""Writing audit events. Model changes are recorded by signals (hikeshi.audit.signals);
exports, logins and security changes call :func:`record` explicitly."""

from __future__ import annotations

from typing import Any

from django.db import models

from hikeshi.audit.context import current_actor
from hikeshi.audit.models import AuditEvent

MAX_VALUE_CHARS = 200


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + "…"
    return value


def record(
    action: str,
    *,
    organization: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    actor = current_actor()
    user = actor.user if getattr(actor.user, "pk", None) else None
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_repr = object_repr or str(obj)[:200]
    return AuditEvent.objects.create(
        organization=organization,
        actor=user,
        actor_label=actor.label[:200],
        action=action,
        object_type=object_type[:100],
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=object_repr[:200],
        changes={k: _short(v) for k, v in (changes or {}).items()},
        ip_address=actor.ip_address,
    )
