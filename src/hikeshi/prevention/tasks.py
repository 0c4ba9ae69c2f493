"""Background tasks of the prevention program (periodic rows are listed in src/hikeshi/core/periodic.py)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="hikeshi.prevention.tasks.send_acknowledgement_reminders")
def send_acknowledgement_reminders() -> int:
    """E-mail members who have not acknowledged the published policy or guideline. Idempotent: each member is
    reminded about one version at most once per REMINDER_INTERVAL, so a redelivered run sends nothing twice."""
    from hikeshi.prevention.policy_actions import send_acknowledgement_reminders as send

    return send(timezone.now())


@shared_task(name="hikeshi.prevention.tasks.send_training_reminders")
def send_training_reminders() -> int:
    """Renew yearly training assignments and e-mail members whose course is due soon or overdue. Idempotent:
    one reminder per enrolment per REMINDER_INTERVAL (``Reminder`` rows), renewal only once per due date."""
    from hikeshi.prevention.training_actions import send_training_reminders as send

    return send(timezone.now())


@shared_task(name="hikeshi.prevention.tasks.send_survey_reminders")
def send_survey_reminders() -> int:
    """E-mail invited members who have not answered an open survey run. Idempotent: one reminder per invite per
    REMINDER_INTERVAL and at most MAX_REMINDERS per invite (``Reminder`` rows)."""
    from hikeshi.prevention.survey_actions import send_survey_reminders as send

    return send(timezone.now())


@shared_task(name="hikeshi.prevention.tasks.render_policy_export")
def render_policy_export(version_id: int, fmt: str) -> bool:
    """Render a version's PDF off the request path and keep it. Idempotent: a file already kept for the same
    content and label is not rendered again."""
    from hikeshi.prevention.policy_actions import do_render_export

    return do_render_export(version_id, fmt)
