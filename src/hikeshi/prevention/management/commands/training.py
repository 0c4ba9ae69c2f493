from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hikeshi.prevention.training_report import completion_by_department
from hikeshi.tenancy.models import Organization


class Command(BaseCommand):
    help = "Training: `training report --org ORG [--json]` — completion per course and department."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        report = sub.add_parser("report", help="Completion of assigned courses per department.")
        report.add_argument("--org", required=True)
        report.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"organisation not found: {options['org']}")
        rows = completion_by_department(org, timezone.localdate())
        if options["json"]:
            payload = {"organization": org.slug, "rows": [row.to_dict() for row in rows]}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write("no training assigned yet")
            return
        self.stdout.write("course\tdepartment\tenrolled\tcompleted\toverdue\trate")
        for row in rows:
            self.stdout.write(
                f"{row.course}\t{row.department}\t{row.enrolled}\t{row.completed}\t{row.overdue}\t{row.rate}%"
            )
