from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hikeshi.accounts.models import User
from hikeshi.alerts.actions import do_acknowledge
from hikeshi.alerts.management.commands._common import parse_id
from hikeshi.alerts.models import Alert, AlertStatus
from hikeshi.audit.context import Actor, acting_as


class Command(BaseCommand):
    help = "Acknowledge an alert (stops its escalation): `ack ALERT_ID [--by EMAIL]`."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("alert_id")
        parser.add_argument("--by", default="", help="e-mail of the user who takes the alert")

    def handle(self, *args: Any, alert_id: str, by: str, **options: Any) -> None:
        alert = Alert.objects.select_related("organization").filter(pk=parse_id(alert_id, "alert ID")).first()
        if alert is None:
            raise CommandError(f"no alert with ID {alert_id}")
        user = None
        if by:
            user = User.objects.filter(email__iexact=by).first()
            if user is None:
                raise CommandError(f"no user with e-mail {by!r}")
        if alert.status != AlertStatus.OPEN:
            self.stdout.write(f"alert {alert.pk} is already {alert.status}")
            return
        with acting_as(Actor(user=user, label="cli")):
            do_acknowledge(alert, by=user, via="CLI")
        self.stdout.write(f"acknowledged alert {alert.pk}: {alert.title}")
