from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hikeshi.audit.context import Actor, acting_as
from hikeshi.monitoring.actions import do_add_source
from hikeshi.monitoring.management.commands._common import organization_by_slug
from hikeshi.monitoring.models import Source


class Command(BaseCommand):
    help = "Sources: `source add --org ORG rss|page URL [--every SECONDS] [--recipe R --selector F=CSS]`, `source list --org ORG`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add an RSS/Atom feed or a web page to watch.")
        add.add_argument("--org", required=True)
        add.add_argument("kind", choices=["rss", "page"])
        add.add_argument("url")
        add.add_argument("--every", type=int, default=900, help="seconds between fetches (default 900)")
        add.add_argument("--name", default="")
        add.add_argument(
            "--recipe",
            default="auto",
            choices=["auto", "thread", "reviews", "matome", "article", "custom"],
            help="how a page is read (default auto: a thread while it has レス, else its main text)",
        )
        add.add_argument(
            "--selector",
            action="append",
            default=[],
            metavar="FIELD=CSS",
            help="custom recipe: item=…, text=… (required), author=…, date=…, permalink=…",
        )
        listing = sub.add_parser("list", help="List sources with their health.")
        listing.add_argument("--org", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        organization = organization_by_slug(options["org"])
        if action == "list":
            for s in Source.objects.for_org(organization):
                last = s.last_success_at.isoformat() if s.last_success_at else "-"
                self.stdout.write(
                    f"{s.pk}\t{s.kind}\t{s.url or s.name}\tlast={last}\terrors={s.consecutive_errors}"
                )
            return
        try:
            with acting_as(Actor(label="cli")):
                source = do_add_source(
                    organization,
                    kind=options["kind"],
                    url=options["url"],
                    name=options["name"],
                    schedule_seconds=options["every"],
                    recipe=options["recipe"],
                    selectors={
                        field: css for field, _eq, css in (s.partition("=") for s in options["selector"])
                    },
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"added source {source.pk}\t{source.kind}\t{source.url}")
