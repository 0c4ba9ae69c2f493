from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the scheduler (Celery beat) that queues the jobs in hikeshi.core.periodic.PERIODIC_JOBS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, loglevel: str, **options: Any) -> None:
        from hikeshi.core.celery import app

        app.start(
            ["beat", f"--loglevel={loglevel}", f"--schedule={settings.DATA_DIR / 'celerybeat-schedule'}"]
        )
