"""Background work of monitoring. Tasks take JSON arguments and are idempotent (at-least-once)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from hikeshi.core.tasks import enqueue


@shared_task(name="hikeshi.monitoring.tasks.poll_due_sources")
def poll_due_sources() -> int:
    """Queue one poll per due source; each poll is its own task so a slow site delays nobody else."""
    from hikeshi.monitoring.fetching import due_sources

    sources = due_sources()
    for source in sources:
        enqueue(poll_source, source_id=source.pk)
    return len(sources)


@shared_task(name="hikeshi.monitoring.tasks.poll_source", acks_late=True)
def poll_source(source_id: int) -> dict[str, Any]:
    from hikeshi.monitoring.fetching import poll_source as poll
    from hikeshi.monitoring.models import Source

    source = Source.objects.filter(pk=source_id, active=True).first()
    if source is None:
        return {"source": source_id, "skipped": "inactive or deleted"}
    outcome = poll(source)
    if outcome.new_items:
        enqueue(assess_series)
    return {"source": source_id, "ok": outcome.ok, "new": outcome.new_items, "error": outcome.error}


@shared_task(name="hikeshi.monitoring.tasks.retry_dead_letter", acks_late=True)
def retry_dead_letter(dead_letter_id: int) -> bool:
    from hikeshi.monitoring.actions import do_retry_dead_letter
    from hikeshi.monitoring.models import DeadLetter

    letter = DeadLetter.objects.filter(pk=dead_letter_id).first()
    return True if letter is None else do_retry_dead_letter(letter)


@shared_task(name="hikeshi.monitoring.tasks.assess_series", acks_late=True)
def assess_series(org_id: int | None = None) -> int:
    """Burst detection and risk levels for series with new mentions (alerts are raised from here)."""
    from django.utils import timezone

    from hikeshi.monitoring.series import assess_pending

    return assess_pending(timezone.now(), org_id)


@shared_task(name="hikeshi.monitoring.tasks.train_feedback_models")
def train_feedback_models() -> dict[str, int]:
    """Retrain the per-organisation adjustments whose operators' feedback changed (periodic)."""
    from hikeshi.monitoring.feedback import train_changed

    return train_changed()
