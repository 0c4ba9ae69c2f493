from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server (gunicorn) for hikeshi."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.HOST)
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--workers", type=int, default=settings.WEB_WORKERS)

    def handle(self, *args: Any, host: str, port: int, workers: int, **options: Any) -> None:
        from gunicorn.app.wsgiapp import WSGIApplication

        sys.argv = [
            "hikeshi-web",
            "hikeshi.core.wsgi:application",
            f"--bind={host}:{port}",
            f"--workers={workers}",
            "--worker-class=gthread",
            "--threads=4",
            "--timeout=60",
            "--graceful-timeout=10",
            "--access-logfile=-",
            "--error-logfile=-",
        ]
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
