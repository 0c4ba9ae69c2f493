"""Celery configuration, derived from Django settings so both read the same HIKESHI_* variables."""

from __future__ import annotations

from django.conf import settings

from hikeshi.core import periodic

broker_url = settings.CELERY_BROKER_URL
broker_connection_retry_on_startup = True
# JSON only: tasks take plain data, so a message can be read, replayed and never unpickles code.
task_serializer = "json"
accept_content = ["json"]
result_serializer = "json"
task_ignore_result = True
# At-least-once: acknowledge after the task ran, and requeue when a worker dies mid-task.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
worker_hijack_root_logger = False
timezone = settings.TIME_ZONE
enable_utc = True
beat_schedule = periodic.beat_schedule()
beat_schedule_filename = str(settings.DATA_DIR / "celerybeat-schedule")
