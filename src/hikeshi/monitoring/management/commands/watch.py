from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hikeshi.audit.context import Actor, acting_as
from hikeshi.monitoring.actions import do_add_watch_rule
from hikeshi.monitoring.management.commands._common import organization_by_slug
from hikeshi.monitoring.models import WatchRule


class Command(BaseCommand):
    help = "Watch rules: `watch add --org ORG --term TERM [--variant V]... [--exclude W]... [--query Q]`, `watch list`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a watch rule.")
        add.add_argument("--org", required=True)
        add.add_argument("--term", required=True)
        add.add_argument("--variant", action="append", default=[])
        add.add_argument("--exclude", action="append", default=[])
        add.add_argument("--query", default="")
        add.add_argument("--name", default="")
        listing = sub.add_parser("list", help="List the organisation's rules.")
        listing.add_argument("--org", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        organization = organization_by_slug(options["org"])
        if action == "list":
            for rule in WatchRule.objects.for_org(organization):
                state = "active" if rule.active else "paused"
                self.stdout.write(f"{rule.pk}\t{rule.name}\t{', '.join(rule.term_names())}\t{state}")
            return
        try:
            with acting_as(Actor(label="cli")):
                rule = do_add_watch_rule(
                    organization,
                    name=options["name"],
                    terms=[{"name": options["term"], "variants": options["variant"]}],
                    exclusions=options["exclude"],
                    query=options["query"],
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"added rule {rule.pk}\t{rule.name}")
