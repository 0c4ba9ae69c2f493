from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hikeshi.audit.context import Actor, acting_as
from hikeshi.tenancy.actions import do_create_organization
from hikeshi.tenancy.models import Organization, OrganizationKind, OrganizationSize


class Command(BaseCommand):
    help = "Manage organisations: `org create SLUG --name NAME`, `org list`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an organisation.")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--kind", default=OrganizationKind.COMPANY, choices=OrganizationKind.values)
        create.add_argument("--industry", default="")
        create.add_argument("--size", default="", choices=["", *OrganizationSize.values])
        listing = sub.add_parser("list", help="List organisations (slug and name).")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            try:
                with acting_as(Actor(label="cli")):
                    org = do_create_organization(
                        options["slug"],
                        options["name"],
                        kind=options["kind"],
                        industry=options["industry"],
                        size=options["size"],
                    )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            self.stdout.write(f"created {org.slug}\t{org.name}")
        else:
            for org in Organization.objects.order_by("slug"):
                if options["json"]:
                    row = {"slug": org.slug, "name": org.name, "kind": org.kind}
                    self.stdout.write(json.dumps(row, ensure_ascii=False))
                else:
                    self.stdout.write(f"{org.slug}\t{org.name}")
