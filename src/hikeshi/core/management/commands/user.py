from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from hikeshi.audit.context import Actor, acting_as
from hikeshi.tenancy.actions import do_invite
from hikeshi.tenancy.models import EmploymentType, Organization, Role


class Command(BaseCommand):
    help = (
        "Manage users: `user invite --org ORG --email EMAIL [--role ROLE] [--department D] "
        "[--employment-type T] [--joined-on YYYY-MM-DD]`."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        invite = sub.add_parser("invite", help="Invite someone to an organisation by e-mail.")
        invite.add_argument("--org", required=True, help="Organisation slug (see `hikeshi org list`).")
        invite.add_argument("--email", required=True)
        invite.add_argument("--role", default=Role.ORG_MEMBER, choices=Role.values)
        invite.add_argument("--department", default="")
        invite.add_argument("--employment-type", default="", choices=["", *EmploymentType.values])
        invite.add_argument(
            "--joined-on",
            default=None,
            type=date.fromisoformat,
            help="Day they joined the organisation (YYYY-MM-DD); new-hire training counts from it.",
        )
        invite.add_argument("--no-email", action="store_true", help="Only print the link.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"no organisation with slug {options['org']!r} (see `hikeshi org list`)")
        try:
            validate_email(options["email"])
            with acting_as(Actor(label="cli")):
                issued = do_invite(
                    org,
                    options["email"],
                    role=options["role"],
                    department=options["department"],
                    employment_type=options["employment_type"],
                    joined_on=options["joined_on"],
                    send_email=not options["no_email"],
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"invited {issued.invitation.email} to {org.slug} as {issued.invitation.role}")
        self.stdout.write(f"link: {issued.url}")
