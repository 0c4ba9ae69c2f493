"""The Celery application shared by web, worker and scheduler."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hikeshi.core.settings")

app = Celery("hikeshi")
app.config_from_object("hikeshi.core.celeryconfig")
app.autodiscover_tasks(
    [
        "hikeshi.core",
        "hikeshi.accounts",
        "hikeshi.audit",
        "hikeshi.tenancy",
        "hikeshi.monitoring",
        "hikeshi.alerts",
        "hikeshi.prevention",
        "hikeshi.response",
    ]
)
