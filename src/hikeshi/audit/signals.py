"""Record every create, update and delete of audited models, with a field-level diff.

A model is audited when it sets ``audit_fields`` (the fields whose changes are
recorded; secrets such as token hashes are left out on purpose).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_init, post_save

from hikeshi.audit.actions import record
from hikeshi.audit.context import Actor, acting_as, current_actor
from hikeshi.audit.models import AuditAction


def _audited(sender: type[models.Model]) -> tuple[str, ...] | None:
    return getattr(sender, "audit_fields", None)


def _snapshot(instance: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        value = instance.__dict__.get(attname)
        values[name] = value if isinstance(value, int | float | bool | type(None)) else str(value)
    return values


def _organization_of(instance: models.Model) -> Any:
    if instance._meta.label == "tenancy.Organization":
        return (
            instance
            if instance.pk and type(instance)._default_manager.filter(pk=instance.pk).exists()
            else None
        )
    return getattr(instance, "organization", None)


def _on_init(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    fields = _audited(sender)
    if fields and instance.pk is not None:
        instance._audit_before = _snapshot(instance, fields)  # type: ignore[attr-defined]


def _on_save(sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any) -> None:
    fields = _audited(sender)
    if not fields or kwargs.get("raw"):
        return
    after = _snapshot(instance, fields)
    if created:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "")}
        record(AuditAction.CREATE, organization=_organization_of(instance), obj=instance, changes=changes)
    else:
        before: dict[str, Any] = getattr(instance, "_audit_before", {})
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if changes:
            record(AuditAction.UPDATE, organization=_organization_of(instance), obj=instance, changes=changes)
    instance._audit_before = after  # type: ignore[attr-defined]


def _on_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    fields = _audited(sender)
    if not fields:
        return
    organization = None if sender._meta.label == "tenancy.Organization" else _organization_of(instance)
    record(AuditAction.DELETE, organization=organization, obj=instance, changes=_snapshot(instance, fields))


def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    with acting_as(Actor(user=user, label=user.email, ip_address=ip)):
        record(AuditAction.LOGIN, obj=user, object_repr=user.email)


def _on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    with acting_as(Actor(user=user, label=user.email, ip_address=ip)):
        record(AuditAction.LOGOUT, obj=user, object_repr=user.email)


def _on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username") or credentials.get("email") or "")[:200]
    ip = request.META.get("REMOTE_ADDR") if request is not None else current_actor().ip_address
    with acting_as(Actor(label=username or "anonymous", ip_address=ip)):
        record(AuditAction.LOGIN_FAILED, object_type="accounts.User", object_repr=username)


def connect() -> None:
    for model in apps.get_models():
        if _audited(model):
            post_init.connect(_on_init, sender=model, dispatch_uid=f"audit-init-{model._meta.label}")
            post_save.connect(_on_save, sender=model, dispatch_uid=f"audit-save-{model._meta.label}")
            post_delete.connect(_on_delete, sender=model, dispatch_uid=f"audit-del-{model._meta.label}")
    user_logged_in.connect(_on_login, dispatch_uid="audit-login")
    user_logged_out.connect(_on_logout, dispatch_uid="audit-logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="audit-login-failed")
