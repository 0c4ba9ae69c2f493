from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a Celery worker that executes hikeshi's background tasks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--concurrency", type=int, default=settings.WORKER_CONCURRENCY)
        parser.add_argument("--queues", default="celery", help="Comma-separated queue names.")
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, concurrency: int, queues: str, loglevel: str, **options: Any) -> None:
        from hikeshi.core.celery import app

        app.worker_main(
            [
                "worker",
                f"--loglevel={loglevel}",
                f"--concurrency={concurrency}",
                f"--queues={queues}",
                "--hostname=hikeshi-worker@%h",
                "--without-gossip",
                "--without-mingle",
            ]
        )
