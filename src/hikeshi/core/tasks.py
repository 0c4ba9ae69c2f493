"""Platform-level background tasks and the helper that queues tasks after commit."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from celery import Task, shared_task
from django.core import management
from django.db import transaction
from django.utils import timezone


def enqueue(task: Task[Any, Any], **kwargs: Any) -> None:
    """Queue ``task`` once the current transaction commits (immediately when there is none).

    Arguments must be JSON: a task that receives model instances would act on stale
    copies, and a message that cannot be read back is lost work.
    """
    try:
        json.dumps(kwargs)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{task.name}: task arguments must be JSON-serialisable ({exc})") from None
    transaction.on_commit(partial(_publish, task, kwargs))


def _publish(task: Task[Any, Any], kwargs: dict[str, Any]) -> None:
    try:
        task.apply_async(kwargs=kwargs)
    except Exception as exc:
        if not _lost_queue_creation_race(exc):
            raise
        # The embedded broker (kombu's SQLAlchemy transport) creates a queue's row on first use with a
        # select-then-insert; when the web process and a worker do that at the same moment, one of them
        # gets a unique-constraint error although the queue now exists. Publishing again succeeds.
        task.apply_async(kwargs=kwargs)


def _lost_queue_creation_race(exc: BaseException) -> bool:
    try:
        from sqlalchemy.exc import IntegrityError
    except ImportError:  # pragma: no cover - SQLAlchemy comes with the embedded broker
        return False
    return isinstance(exc, IntegrityError) and "kombu_queue" in str(exc)


@shared_task(name="hikeshi.core.tasks.record_heartbeat")
def record_heartbeat(source: str) -> str:
    from hikeshi.core.models import Heartbeat

    # update_or_create keyed by source: running it twice leaves one row, so redelivery is harmless.
    Heartbeat.objects.update_or_create(source=source[:100], defaults={"last_seen": timezone.now()})
    return source


@shared_task(name="hikeshi.core.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    management.call_command("clearsessions")
