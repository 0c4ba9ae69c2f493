from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from hikeshi.alerts.management.commands._common import organization
from hikeshi.alerts.models import Alert, AlertStatus


class Command(BaseCommand):
    help = "List an organisation's alerts: `alerts --org ORG [--all] [--json]` (default: not resolved)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--all", action="store_true", help="include resolved alerts")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args: Any, **options: Any) -> None:
        alerts = Alert.objects.for_org(organization(options["org"])).select_related(
            "assignee", "acknowledged_by"
        )
        if not options["all"]:
            alerts = alerts.exclude(status=AlertStatus.RESOLVED)
        for alert in alerts:
            if options["json"]:
                row = {
                    "id": alert.pk,
                    "story_key": alert.story_key,
                    "level": alert.level,
                    "level_label": alert.level_label,
                    "status": alert.status,
                    "title": alert.title,
                    "explanation": alert.explanation,
                    "assignee": alert.assignee.email if alert.assignee else None,
                    "acknowledged_by": alert.acknowledged_by.email if alert.acknowledged_by else None,
                    "created_at": alert.created_at.isoformat(),
                    "updated_at": alert.updated_at.isoformat(),
                    "update_count": alert.update_count,
                }
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                self.stdout.write(
                    f"{alert.pk}\t{alert.level} {alert.level_label}\t{alert.status}\t{alert.story_key}\t{alert.title}"
                )
