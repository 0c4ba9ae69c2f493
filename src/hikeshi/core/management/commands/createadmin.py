from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from hikeshi.accounts.models import OperatorRole, User
from hikeshi.audit.context import Actor, acting_as


class Command(BaseCommand):
    help = "Create an operator administrator (prints a generated password unless --password is given)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="Leave out to generate one.")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, email: str, password: str | None, name: str, **options: Any) -> None:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"not a valid e-mail address: {email!r}") from None
        if User.objects.filter(email=email.lower()).exists():
            raise CommandError(f"a user with e-mail {email.lower()} already exists")
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        with acting_as(Actor(label="cli")):
            User.objects.create_superuser(
                email, password, display_name=name, operator_role=OperatorRole.ADMIN
            )
        self.stdout.write(f"created operator admin {email.lower()}")
        if generated:
            self.stdout.write(f"password: {password}")
