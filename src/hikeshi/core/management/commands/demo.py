from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hikeshi.core.demo import remembered_login, seed_demo
from hikeshi.tenancy.models import Organization


class Command(BaseCommand):
    help = "Seed demo data (an operator and the demo organisation 株式会社サンプル食品) and print the login."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Only seed when there is no organisation yet."
        )

    def handle(self, *args: Any, if_empty: bool, **options: Any) -> None:
        if Organization.objects.exists():
            if not if_empty:
                raise CommandError("the database already has organisations; demo data is seeded only once")
            login = remembered_login()
        else:
            login = seed_demo()
            from hikeshi.core.demo import DEMO_ORG_SLUG
            from hikeshi.monitoring.demo import seed_monitoring_demo

            self.stdout.write("hikeshi: replaying the demo week of posts (about 10 s)…")
            seed_monitoring_demo(Organization.objects.get(slug=DEMO_ORG_SLUG))
        if login is None:
            self.stdout.write("hikeshi: existing data kept (no demo login to show)")
            return
        self.stdout.write("")
        self.stdout.write(f"  hikeshi: {login.url}")
        self.stdout.write(f"  login:   {login.email}")
        self.stdout.write(f"  password: {login.password or '(HIKESHI_DEMO_PASSWORD)'}")
        self.stdout.write("")
