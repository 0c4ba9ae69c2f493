from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hikeshi.monitoring.fetching import due_sources, poll_source


class Command(BaseCommand):
    help = "Fetch every due source now and process what arrives: `ingest --once` (exit 1 if a source failed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run one round and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["once"]:
            raise CommandError("use --once (continuous fetching is the scheduler's job: `hikeshi scheduler`)")
        failures = 0
        for source in due_sources():
            outcome = poll_source(source)
            if outcome.ok:
                self.stdout.write(f"{source.pk}\t{source.url}\tnew={outcome.new_items}")
            else:
                failures += 1
                self.stderr.write(f"{source.pk}\t{source.url}\terror: {outcome.error}")
        if failures:
            raise CommandError(f"{failures} source(s) failed")
