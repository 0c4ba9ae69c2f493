"""Background work of the alerts app. JSON arguments only; every task is safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task

MAX_RETRIES = 6
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 600


def backoff_seconds(retries: int) -> int:
    """5, 10, 20, 40, 80, 160 s: about five minutes of trying before the fallback channel takes over."""
    return int(min(BACKOFF_BASE_SECONDS * 2**retries, BACKOFF_MAX_SECONDS))


@shared_task(bind=True, name="hikeshi.alerts.tasks.deliver_notification", max_retries=MAX_RETRIES)
def deliver_notification(self: Any, notification_id: int) -> str:
    from hikeshi.alerts.notify import Outcome, deliver

    outcome = deliver(notification_id, final_attempt=self.request.retries >= self.max_retries)
    if outcome == Outcome.RETRY:
        raise self.retry(countdown=backoff_seconds(self.request.retries))
    return str(outcome)


@shared_task(name="hikeshi.alerts.tasks.escalate_due")
def escalate_due() -> int:
    from hikeshi.alerts.sweeps import escalate_due as sweep

    return sweep()


@shared_task(name="hikeshi.alerts.tasks.send_daily_digest")
def send_daily_digest() -> int:
    from hikeshi.alerts.sweeps import send_daily_digest as digest

    return digest()
