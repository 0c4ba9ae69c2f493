"""Every periodic job hikeshi runs, in one table.

Cron times are in the scheduler's time zone, Asia/Tokyo (Celery's ``timezone`` follows TIME_ZONE).

The scheduler (`hikeshi scheduler`, Celery beat) reads only this table, so what runs
when is reviewable in one place. Add a row here rather than configuring beat elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from celery.schedules import crontab, schedule


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str
    every_seconds: int | None = None
    cron: dict[str, str] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    why: str = ""


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        "scheduler-heartbeat",
        "hikeshi.core.tasks.record_heartbeat",
        every_seconds=60,
        kwargs={"source": "scheduler"},
        why="Shows on the status page that the scheduler and a worker are alive.",
    ),
    PeriodicJob(
        "expire-invitations",
        "hikeshi.accounts.tasks.expire_invitations",
        every_seconds=3600,
        why="Invitation links stop working after their expiry; the list shows them as expired.",
    ),
    PeriodicJob(
        "clear-expired-sessions",
        "hikeshi.core.tasks.clear_expired_sessions",
        cron={"hour": "4", "minute": "10"},
        why="Keeps the session table small.",
    ),
    PeriodicJob(
        "monitoring-poll-due-sources",
        "hikeshi.monitoring.tasks.poll_due_sources",
        every_seconds=60,
        why="Queues a poll for every monitoring source whose next run is due.",
    ),
    PeriodicJob(
        "monitoring-assess-series",
        "hikeshi.monitoring.tasks.assess_series",
        every_seconds=60,
        why="Burst detection and alerts for series with new mentions; the safety net when a queued assessment is lost.",
    ),
    PeriodicJob(
        "monitoring-train-feedback",
        "hikeshi.monitoring.tasks.train_feedback_models",
        every_seconds=3600,
        why="Retrains each organisation's adjustment from its operators' feedback when that feedback changed; skips the rest.",
    ),
    PeriodicJob(
        "alerts-escalate",
        "hikeshi.alerts.tasks.escalate_due",
        every_seconds=60,
        why="Pages the next contact when nobody acknowledged in time; releases alerts held by quiet hours, silences and snoozes.",
    ),
    PeriodicJob(
        "alerts-daily-digest",
        "hikeshi.alerts.tasks.send_daily_digest",
        cron={"hour": "8", "minute": "5"},
        why="Once per organisation per local day: what stayed below alert level.",
    ),
    PeriodicJob(
        "prevention-acknowledgement-reminders",
        "hikeshi.prevention.tasks.send_acknowledgement_reminders",
        cron={"hour": "9", "minute": "0"},
        why="E-mails members who have not acknowledged the published policy/guideline (once per 7 days per version).",
    ),
    PeriodicJob(
        "prevention-training-reminders",
        "hikeshi.prevention.tasks.send_training_reminders",
        cron={"hour": "8", "minute": "0"},
        why="Rolls yearly training assignments forward and reminds members whose course is due or overdue.",
    ),
    PeriodicJob(
        "prevention-survey-reminders",
        "hikeshi.prevention.tasks.send_survey_reminders",
        cron={"hour": "9", "minute": "30"},
        why="Reminds invited members who have not answered an open survey (from 3 days after sending, weekly, at most 3 times).",
    ),
)


def beat_schedule() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for job in PERIODIC_JOBS:
        when: Any = schedule(job.every_seconds) if job.every_seconds else crontab(**(job.cron or {}))
        result[job.name] = {"task": job.task, "schedule": when, "kwargs": dict(job.kwargs)}
    return result
